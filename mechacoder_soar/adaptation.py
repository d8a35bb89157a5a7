"""`soar adapt`: gradient-free test-time adaptation on target tasks.

It starts from a base library (a namespace of the run's store, or of another store given with
`--from`), copies it into a namespace of its own and runs the usual loop there: everything the
run learns, and every EMA its attempts move, lands in that namespace, so the base library is
left exactly as it was, unless `--merge` folds the learned skills back into it at the end.

Its yardstick is its own iteration 0: each iteration searches every task at the same budget,
so the lift of the last iteration over iteration 0 is what the adaptation bought. What an
iteration learns on a task is not only skills for the others: a task left unsolved keeps its
closest misses, and the next iteration's search on it starts from them (task_memory.py), so
iteration k+1 reaches programs iteration k could not instead of repeating its search.
Target test outputs are read only by the scorer, as in every run.
"""
from __future__ import annotations

import contextlib
import re
import tempfile
from pathlib import Path
from typing import Any

from .config import RunConfig


def adapt_namespace(run_dir: str) -> str:
    """The default namespace of an adaptation run: named after its run directory."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(run_dir).resolve().name).strip("-_") or "run"
    return f"adapt-{slug}"[:63]


def _location(cfg: RunConfig, library=None) -> str:
    """Where the run's library lives: the open library's store, else the configured one."""
    loc = getattr(getattr(library, "config", None), "location", None)
    if loc:
        return str(loc)
    from skills_store.config import default_store_location

    return str(cfg.store or default_store_location())


def _namespace(cfg: RunConfig, library=None) -> str:
    return getattr(library, "namespace", None) or cfg.namespace


def _same_store(a: str, b: str) -> bool:
    if "://" in a or "://" in b:
        return a.rstrip("/") == b.rstrip("/")
    return Path(a).resolve() == Path(b).resolve()


def base_location(cfg: RunConfig, library=None) -> str:
    return cfg.adapt_from or _location(cfg, library)


@contextlib.contextmanager
def _base_store(cfg: RunConfig, library):
    """The store holding the base namespace: the run's own (already open) or the `--from` one."""
    if _same_store(base_location(cfg, library), _location(cfg, library)):
        yield library
        return
    from skills_store import StoreConfig
    from skills_store.store import SkillStore

    if "://" not in base_location(cfg, library) and not Path(base_location(cfg, library)).exists():
        raise FileNotFoundError(f"--from {base_location(cfg, library)}: no such store")
    with SkillStore(StoreConfig(location=base_location(cfg, library), namespace=cfg.base_namespace)) as base:
        yield base


def _copy(src, src_ns: str, dst, dst_ns: str) -> tuple[int, int]:
    """Copy every skill of src_ns into dst_ns (ids, counters and EMAs kept; content already in
    dst_ns is skipped). Returns (skills in the source, skills added)."""
    with tempfile.TemporaryDirectory() as d:
        bundle = Path(d) / "bundle.jsonl"
        n = src.export(bundle, namespace=src_ns)
        added = len(dst.import_(bundle, namespace=dst_ns).added) if n else 0
    return n, added


def prepare(cfg: RunConfig, library, stack: contextlib.ExitStack):
    """Open the run's library in the adaptation namespace (unless given) and seed it from the
    base (an empty base is allowed: the run then starts from what its proposer seeds, e.g. the
    ARC primitives). Returns the open library."""
    if _same_store(base_location(cfg, library), _location(cfg, library)) and cfg.base_namespace == _namespace(cfg, library):
        raise ValueError(f"soar adapt learns into a namespace of its own, and --namespace is the base namespace "
                         f"{cfg.base_namespace!r}: choose another --namespace (pass --merge to fold what it learns "
                         "into the base at the end)")
    if library is None:
        from .assembly import open_library

        library = open_library(cfg, stack)
    with _base_store(cfg, library) as base:
        _copy(base, cfg.base_namespace, library, _namespace(cfg, library))
    return library


def _row(r: dict) -> dict[str, Any]:
    return {"iteration": r["iteration"], "train_solved": r["train_solved"], "tasks": r["tasks"],
            "test_pass_at_2": r.get("test_pass_at_2"), "attempts": r["attempts"], "library_size": r.get("library_size")}


def lift(cfg: RunConfig, iterations: list[dict]) -> dict[str, Any] | None:
    """The last iteration against iteration 0, both at the run's per-task budget."""
    rows = sorted(iterations, key=lambda r: r["iteration"])
    if not rows:
        return None
    first, last = _row(rows[0]), _row(rows[-1])
    p0, p1 = first["test_pass_at_2"], last["test_pass_at_2"]
    return {
        "budget_per_task": {"sample": cfg.budget_sample, "refine": cfg.budget_refine, "search_budget": cfg.search.budget},
        "iteration0": first, "final": last,
        "train_solved": last["train_solved"] - first["train_solved"],
        "test_pass_at_2": None if p0 is None or p1 is None else p1 - p0,
    }


def memory(library) -> dict[str, int]:
    """What the cross-iteration memory holds in the adaptation namespace: near-miss skills and
    the tasks they are stepping stones for (task_memory.py)."""
    from .task_memory import NEAR_MISS_TAG

    near = [s for s in library.all() if NEAR_MISS_TAG in s.tags]
    return {"near_miss_skills": len(near), "tasks": len({s.origin_task_id for s in near})}


def finish(cfg: RunConfig, library, run_dir) -> dict[str, Any]:
    """Write the adaptation summary (base, namespace, lift, merge) into metrics.json."""
    summary: dict[str, Any] = {
        "base": {"store": base_location(cfg, library), "namespace": cfg.base_namespace},
        "namespace": _namespace(cfg, library), "store": _location(cfg, library), "merged": None,
    }
    with _base_store(cfg, library) as base:
        if cfg.merge:
            n, added = _copy(library, _namespace(cfg, library), base, cfg.base_namespace)
            summary["merged"] = {"skills_in_adapt_namespace": n, "added_to_base": added}
        summary["base"]["skills"] = base.stats(namespace=cfg.base_namespace)["skills"]
    summary["lift"] = lift(cfg, run_dir.metrics()["iterations"])
    summary["memory"] = memory(library)
    run_dir.write_summary("adapt", summary)
    return summary
