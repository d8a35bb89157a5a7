"""Search throughput (attempts executed per second) with 1 vs N Ray search workers.

    .venv/bin/python benchmarks/ray_scaling.py --workers 1 2 --tasks 8

Workload: the product default, the library-search proposer (no LLM) on the first `--tasks`
arc1-train tasks, `--budget-sample` samples and `--budget-refine` REX refinements per task, every
program run in the worker's own sandboxed executor pool. The library is a fresh embedded store
holding the seed skills. For each worker count W: a local Ray cluster with W CPUs, W actors
(`RaySearchBackend`, each with `--exec-workers` sandbox processes), one warm-up task per actor
(actor start, executor pool, proposer, snapshot fetch, MiniLM for refinement queries), then the
timed round: all tasks dispatched from W driver threads, as the graph does with --concurrency W.
Throughput = attempts journalled in the timed round / its wall time. Also prints the driver's own
cost per task (snapshot + query embedding + journalling), which bounds how far one driver scales.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
ROOT = Path(__file__).resolve().parents[1]


def run_one(n_workers: int, args, tmp: Path) -> dict:
    import ray

    from mechacoder_soar.config import RunConfig
    from mechacoder_soar.context import RunContext
    from mechacoder_soar.distributed.ray_search import RaySearchBackend, RaySearchConfig
    from mechacoder_soar.environments.arc import ArcEnvironment
    from mechacoder_soar.oracle import Oracle
    from mechacoder_soar.proposers.library import ensure_seed_skills
    from mechacoder_soar.library_search.config import SearchConfig
    from mechacoder_soar.run_dir import RunDir
    from mechacoder_soar.suites import load_tasks
    from skills_store import StoreConfig
    from skills_store.store import SkillStore

    cfg = RunConfig(suite="arc1-train", budget_sample=args.budget_sample, budget_refine=args.budget_refine,
                    sample_batch=args.budget_sample, proposer="library", search=SearchConfig(time_limit_s=args.search_time),
                    workers=args.exec_workers, concurrency=n_workers, k_skills=4, executor="ray")
    tasks = load_tasks(cfg.suite, args.tasks + n_workers)
    warm, timed = tasks[:n_workers], tasks[n_workers:]
    ray.init(num_cpus=n_workers, include_dashboard=False, logging_level="error",
             runtime_env={"env_vars": {"PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}})
    try:
        with SkillStore(StoreConfig(location=str(tmp / f"store-{n_workers}"))) as lib:
            ensure_seed_skills(lib)
            # the driver's environment only describes tasks and reads feedback: no executor needed here
            ctx = RunContext(config=cfg, tasks={t.id: t.public() for t in tasks}, oracle=Oracle({t.id: t for t in tasks}),
                             proposer=None, environments={"arc": ArcEnvironment(None)}, library=lib,  # type: ignore[arg-type]
                             run_dir=RunDir(tmp / f"run-{n_workers}"))
            with RaySearchBackend(ctx, RaySearchConfig(num_workers=n_workers)) as backend, \
                    ThreadPoolExecutor(n_workers) as pool:
                t0 = time.perf_counter()
                list(pool.map(lambda t: backend(t.id, 99), warm))
                warm_s = time.perf_counter() - t0
                t0 = time.perf_counter()
                summaries = list(pool.map(lambda t: backend(t.id, 0), timed))
                wall = time.perf_counter() - t0
            attempts = sum(s["attempts"] for s in summaries)
            assert attempts == len(ctx.run_dir.attempts(0))
            # driver-side cost per task, measured in isolation
            t0 = time.perf_counter()
            for t in timed:
                lib.embedder.embed([ctx.env(t).describe(t)])
            embed_ms = (time.perf_counter() - t0) / len(timed) * 1000
    finally:
        ray.shutdown()
    return {"ray_workers": n_workers, "tasks": len(timed), "attempts": attempts, "wall_s": wall,
            "attempts_per_s": attempts / wall, "tasks_per_min": len(timed) / wall * 60,
            "warmup_s": warm_s, "solved": sum(s["train_solved"] for s in summaries),
            "mean_task_s": sum(s["wall_s"] for s in summaries) / len(summaries),
            "driver_query_embed_ms": embed_ms}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--tasks", type=int, default=8, help="timed tasks (plus one warm-up task per worker)")
    ap.add_argument("--budget-sample", type=int, default=8)
    ap.add_argument("--budget-refine", type=int, default=4)
    ap.add_argument("--search-time", type=float, default=2.0, help="library search seconds per call")
    ap.add_argument("--exec-workers", type=int, default=1, help="sandboxed executor processes per Ray worker")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    rows = []
    with tempfile.TemporaryDirectory(prefix="ray-scaling-") as d:
        for w in args.workers:
            r = run_one(w, args, Path(d))
            rows.append(r)
            print(f"{w} Ray worker(s): {r['attempts']} attempts over {r['tasks']} tasks in {r['wall_s']:.1f} s = "
                  f"{r['attempts_per_s']:.2f} attempts/s ({r['tasks_per_min']:.1f} tasks/min; mean task {r['mean_task_s']:.1f} s; "
                  f"warm-up {r['warmup_s']:.1f} s; train-solved {r['solved']}; driver query embed {r['driver_query_embed_ms']:.0f} ms/task)",
                  flush=True)
    if len(rows) > 1:
        base = rows[0]["attempts_per_s"]
        for r in rows[1:]:
            print(f"speed-up {rows[0]['ray_workers']} -> {r['ray_workers']} workers: {r['attempts_per_s'] / base:.2f}x "
                  f"on {os.cpu_count()} cores (shared with whatever else runs here)")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
