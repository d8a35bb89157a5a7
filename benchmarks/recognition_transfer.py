"""Does the recognition model make the library pay off on tasks it has never seen?

    .venv/bin/python benchmarks/recognition_transfer.py --iterations 1 --save-library STORE   # learn once, keep it
    .venv/bin/python benchmarks/recognition_transfer.py --library STORE --limit 100 --max-budget 2000
    .venv/bin/python benchmarks/recognition_transfer.py --library STORE --dev 40 --set first_k=3   # tuning

The protocol's fixed halves (`mechacoder_soar/arc/protocol.py`): the library learns on
`arc1-train:learn` (the real loop, library proposer), transfer is measured on
`arc1-train:transfer` (the first --limit tasks, sorted ids; `--suite arc2-train:transfer` for the
second dev set). Every transfer task is searched once
per condition up to --max-budget candidate programs, each through the library proposer's own
steering (LibrarySearchProposer.steer); the search is deterministic, so "solved within B
programs" for every B <= max-budget falls out of one run (benchmarks/transfer_eval.py). Each
condition is searched afresh and pays its own costs (a learned composition tried counts as the
programs it evaluates). Conditions (--conditions picks some):

    seeds                the seed library only (what learning starts from)
    learned              the learned library, recognition model off (retrieval order, compositions, prior)
    learned+recognition  the learned library with the recognition model trained on its programs and
                         their dreams on the learning half's train inputs (RecognitionConfig's
                         defaults; --set KEY=VALUE overrides one of them)

Tuning never looks at the transfer half: --dev N holds out N tasks of the learn half (chosen by a
hash of their ids) as the tasks searched, removes every skill learned on them from a copy of the
library (solved, hindsight: anything whose origin is a held-out task) and dreams only on the rest.

Prints train-solved and pass@2 (ARC Prize's rule over the first two train-correct programs found)
per budget, the ratios to seeds, and evaluations to the first train-correct program on tasks
every condition solves. --json writes it all.
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from transfer_eval import at_budget, budgets_up_to, run_main, search_all, select_tasks  # noqa: E402

CONDITIONS = ("seeds", "learned", "learned+recognition")


def dev_split(learn: list, n: int) -> tuple[list, list]:
    """(the rest, the `n` held-out tasks) of the learn half, held out by sha256("dev|" + id)."""
    held = set(sorted((t.id for t in learn), key=lambda i: hashlib.sha256(f"dev|{i}".encode()).hexdigest())[:n])
    return [t for t in learn if t.id not in held], [t for t in learn if t.id in held]


def train_library(location: str, task_ids: list[str], args) -> None:
    from graphs.runner import run_loop
    from mechacoder_soar.config import RunConfig
    from mechacoder_soar.library_search.config import SearchConfig
    from skills_store import StoreConfig
    from skills_store.store import SkillStore

    with SkillStore(StoreConfig(location=location)) as lib:
        for it in range(1, args.iterations + 1):
            cfg = RunConfig(suite="arc1-train", task_ids=task_ids, iterations=it, run_dir=str(Path(location).parent / "train"),
                            proposer="library", search=SearchConfig(budget=args.train_budget, time_limit_s=args.train_time),
                            concurrency=2)
            m = run_loop(cfg, library=lib, resume=it > 1)
            print(f"learning iteration {it}: train-solved {m['iterations'][-1]['train_solved']} of {len(task_ids)}, "
                  f"library {lib.stats()['skills']}", flush=True)


def without_origins(src: str, dst: str, origins: set[str]) -> int:
    """A copy of the store at `src` at `dst` without the skills learned on `origins`; returns how
    many were left out."""
    from skills_store import StoreConfig
    from skills_store.bundle import read_bundle, write_bundle
    from skills_store.store import SkillStore

    bundle = Path(dst).parent / "dev_bundle.jsonl"
    with SkillStore(StoreConfig(location=src)) as lib:
        lib.export(bundle)
    skills = read_bundle(bundle)
    kept = [s for s in skills if s.origin_task_id not in origins]
    write_bundle(bundle, "default", kept)
    with SkillStore(StoreConfig(location=dst)) as lib:
        lib.import_(bundle)
    return len(skills) - len(kept)


def recognition_config(pairs: list[str]):
    """RecognitionConfig's defaults with KEY=VALUE overrides (values parsed as JSON)."""
    from mechacoder_soar.recognition import RecognitionConfig

    fields = {f.name for f in dataclasses.fields(RecognitionConfig)}
    over = {}
    for kv in pairs:
        key, _, val = kv.partition("=")
        if key not in fields or not val:
            raise SystemExit(f"--set {kv!r}: need KEY=VALUE with KEY one of {', '.join(sorted(fields))}")
        over[key] = json.loads(val)
    return RecognitionConfig(**over)


def steering(location: str, tasks: list, recognition: bool, observed: list, model_config) -> list[dict]:
    """The search arguments per task, exactly as the library proposer computes them."""
    from mechacoder_soar.proposers.library import LibrarySearchConfig, LibrarySearchProposer, ensure_seed_skills
    from mechacoder_soar.recognition import RecognizerConfig
    from skills_store import StoreConfig
    from skills_store.store import SkillStore

    with SkillStore(StoreConfig(location=location)) as lib:
        ensure_seed_skills(lib)
        cfg = LibrarySearchConfig(processes=1, recognition=recognition, recognizer=RecognizerConfig(model=model_config))
        prop = LibrarySearchProposer(lib, cfg)
        prop.observe([t.public() for t in observed])  # the inputs the library was learned on
        out = []
        for t in tasks:
            st = prop.steer(t.public(), [])
            out.append({"order": st.order, "extra_programs": st.extras, "prior": st.prior, "step_prior": st.step_prior})
        if prop.recognizer is not None:
            print(f"  recognition model: {prop.recognizer.model.n_examples} examples from "
                  f"{prop.recognizer.n_observed} tasks' inputs", flush=True)
        return out


def report(results: dict[str, list[dict]], task_ids: list[str], max_budget: int) -> dict:
    names = list(results)
    n = len(task_ids)
    table = []
    print(f"\n{'budget':>7} | " + " | ".join(f"{nm:>19} solved pass@2" for nm in names)
          + " | ratio solved (pass@2) vs " + names[0])
    for b in budgets_up_to(max_budget):
        row = {"budget": b}
        for nm in names:
            hits = [at_budget(r, b) for r in results[nm]]
            row[nm] = {"train_solved": sum(s for s, _ in hits), "pass_at_2": sum(p for _, p in hits)}
        table.append(row)
        base = row[names[0]]

        def ratio(nm: str, key: str) -> str:
            return f"{row[nm][key] / base[key]:.2f}x" if base[key] else "-"

        print(f"{b:>7} | " + " | ".join(f"{row[nm]['train_solved']:>26} {row[nm]['pass_at_2'] / n:>6.1%}" for nm in names)
              + " | " + " ".join(f"{ratio(nm, 'train_solved')} ({ratio(nm, 'pass_at_2')})" for nm in names[1:]))
    every = [i for i in range(n) if all(results[nm][i]["found"] for nm in names)]
    evals = {nm: statistics.median(results[nm][i]["found"][0][0] for i in every) for nm in names} if every else {}
    print(f"\nsolved by every condition: {len(every)}; median evaluations to the first train-correct program: "
          + ", ".join(f"{nm} {v}" for nm, v in evals.items()))
    last = names[-1]
    gained = [task_ids[i] for i in range(n) if results[last][i]["found"] and not results[names[0]][i]["found"]]
    lost = [task_ids[i] for i in range(n) if results[names[0]][i]["found"] and not results[last][i]["found"]]
    print(f"{last} vs {names[0]}: gained {len(gained)}, lost {len(lost)}")
    return {"table": table, "median_evals_solved_by_all": evals, "solved_by_all": len(every), "gained": gained,
            "lost": lost}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--library", help="a store learned on the learning half (copied; never written)")
    ap.add_argument("--save-library", help="keep the library learned here (for --library next time)")
    ap.add_argument("--iterations", type=int, default=1, help="learning iterations when no --library is given")
    ap.add_argument("--train-budget", type=int, default=20000, help="candidate programs per search call while learning")
    ap.add_argument("--train-time", type=float, default=3.0, help="seconds per search call while learning")
    ap.add_argument("--suite", default="arc1-train:transfer", help="the transfer tasks' suite (a dev suite)")
    ap.add_argument("--limit", type=int, default=100, help="transfer tasks (the first, by sorted id)")
    ap.add_argument("--dev", type=int, default=0, help="tune instead: search N held-out learn-half tasks (see above)")
    ap.add_argument("--max-budget", type=int, default=2000, help="candidate programs per transfer search")
    ap.add_argument("--time-cap", type=float, default=120.0, help="seconds per search (a safety cap, not the budget)")
    ap.add_argument("--conditions", default=",".join(CONDITIONS), help="comma-separated, the first is the baseline")
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                    help="override a RecognitionConfig field for learned+recognition (repeatable)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", dest="json_out", help="write the results here")
    args = ap.parse_args(argv)
    args.conditions = args.conditions.split(",")
    if not args.conditions or any(c not in CONDITIONS for c in args.conditions):
        ap.error(f"--conditions: choose from {', '.join(CONDITIONS)}")
    if args.dev < 0:
        ap.error("--dev must be >= 0")
    return args


def main() -> None:
    from mechacoder_soar.arc.protocol import check_suite

    args = parse_args()
    check_suite(args.suite, limit=args.limit)   # before any work: eval suites are for the final table only
    model_config = recognition_config(args.overrides)
    learn = select_tasks("arc1-train:learn")
    work = Path(tempfile.mkdtemp(prefix="recognition_transfer_"))
    learned = str(work / "learned")
    if args.library:
        shutil.copytree(args.library, learned, ignore=shutil.ignore_patterns(".soar.lock"))
    else:
        train_library(learned, [t.id for t in learn], args)
        if args.save_library:
            shutil.copytree(learned, args.save_library, ignore=shutil.ignore_patterns(".soar.lock"))
    if args.dev:
        observed, tasks = dev_split(learn, args.dev)
        dropped = without_origins(learned, str(work / "dev_learned"), {t.id for t in tasks})
        learned = str(work / "dev_learned")
        print(f"dev: {len(tasks)} held-out learn tasks searched; {dropped} skills learned on them left out", flush=True)
    else:
        observed, tasks = learn, select_tasks(args.suite, args.limit)
    print(f"dreams on {len(observed)} tasks' inputs, {len(tasks)} tasks searched, budget {args.max_budget}; "
          f"recognition {model_config}", flush=True)
    results = {}
    for name in args.conditions:
        location = str(work / "seeds") if name == "seeds" else learned
        steer = steering(location, tasks, name == "learned+recognition", [] if name == "seeds" else observed,
                         model_config)
        results[name] = search_all(tasks, steer, args.max_budget, args.time_cap, args.workers, name)
    summary = report(results, [t.id for t in tasks], args.max_budget)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"args": vars(args), "recognition": dataclasses.asdict(model_config),
                                                   **summary, "tasks": [t.id for t in tasks], "results": results},
                                                  indent=1))
        print(f"wrote {args.json_out}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    run_main(main)
