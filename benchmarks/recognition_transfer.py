"""Does the recognition model make the library pay off on tasks it has never seen?

    .venv/bin/python benchmarks/recognition_transfer.py --iterations 2 --max-budget 2000
    .venv/bin/python benchmarks/recognition_transfer.py --library STORE_DIR --max-budget 2000   # learned before

arc1-train is split in two fixed halves by the first hex digit of sha256(task id): 0-7 is where
the library learns (the real loop, library proposer), 8-f is where transfer is measured. Every
transfer task is searched once per condition up to --max-budget candidate programs, each through
the library proposer's own steering (LibrarySearchProposer.steer); the search is deterministic, so
"solved within B programs" for every B <= max-budget falls out of one run (as in
search_transfer.py). Conditions, all paying the same budget:

    seeds              the seed library only (what learning starts from)
    learned            the learned library, recognition model off (retrieval order, compositions, prior)
    learned+recognition  the learned library with the recognition model trained on its programs and
                       their dreams on the learning half's train inputs

Prints train-solved and pass@2 (a train-correct program among the first two found is right on
every test output) per budget, the ratios to seeds, and evaluations to the first train-correct
program on tasks every condition solves. --json writes it all.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BUDGETS = (50, 100, 250, 500, 1000, 2000, 5000, 10000, 20000)


def learning_half(task_id: str) -> bool:
    """The fixed split: sha256(task id) starting 0-7 learns, 8-f measures transfer."""
    return hashlib.sha256(task_id.encode()).hexdigest()[0] in "01234567"


def search_task(pairs: list, tests: list, test_outputs: list, order: list, extras: list, prior: dict,
                budget: int, time_cap: float) -> dict:
    """One deterministic search: when each train-correct program was found, and if it is right on test."""
    from mechacoder_soar.library_search.search import SearchConfig, search

    res = search(pairs, tests, SearchConfig(budget=budget, time_limit_s=time_cap), order=order,
                 extra_programs=extras, prior=prior)
    found = sorted((c.found_at, c.test_outputs == test_outputs) for c in res.candidates if c.fully_correct)
    return {"found": found, "evaluated": res.n_evaluated, "exhausted": res.exhausted}


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


def steering(location: str, tasks: list, recognition: bool, learn_tasks: list) -> list[tuple[list, list, dict]]:
    """(order, compositions, prior) per task, exactly as the library proposer computes them."""
    from mechacoder_soar.proposers.library import LibrarySearchConfig, LibrarySearchProposer, ensure_seed_skills
    from skills_store import StoreConfig
    from skills_store.store import SkillStore

    with SkillStore(StoreConfig(location=location)) as lib:
        ensure_seed_skills(lib)
        prop = LibrarySearchProposer(lib, LibrarySearchConfig(processes=1, recognition=recognition))
        prop.observe([t.public() for t in learn_tasks])  # the inputs the library was learned on
        out = [(st.order, st.extras, st.prior) for st in (prop.steer(t.public(), []) for t in tasks)]
        if prop.recognizer is not None:
            print(f"  recognition model: {prop.recognizer.model.n_examples} examples from "
                  f"{prop.recognizer.n_observed} tasks' inputs", flush=True)
        return out


def at_budget(r: dict, b: int) -> tuple[bool, bool]:
    found = [ok for at, ok in r["found"] if at <= b]
    return bool(found), any(found[:2])


def run_condition(name: str, steer: list, tasks: list, args, ex) -> list[dict]:
    t = time.time()
    futs = [ex.submit(search_task, [(e.input, e.output) for e in task.train], task.test_inputs, task.test_outputs,
                      order, extras, prior, args.max_budget, args.time_cap)
            for task, (order, extras, prior) in zip(tasks, steer)]
    out = [f.result() for f in futs]
    capped = sum(r["exhausted"] == "time" for r in out)
    print(f"  {name}: {len(out)} tasks searched in {time.time() - t:.0f} s"
          + (f"; {capped} hit the time cap before the budget (raise --time-cap)" if capped else ""), flush=True)
    return out


def report(results: dict[str, list[dict]], task_ids: list[str], max_budget: int) -> dict:
    names = list(results)
    n = len(task_ids)
    budgets = [b for b in BUDGETS if b < max_budget] + [max_budget]
    table = []
    print(f"\n{'budget':>7} | " + " | ".join(f"{nm:>19} solved pass@2" for nm in names) + " | ratio solved vs seeds")
    for b in budgets:
        row = {"budget": b}
        for nm in names:
            hits = [at_budget(r, b) for r in results[nm]]
            row[nm] = {"train_solved": sum(s for s, _ in hits), "pass_at_2": sum(p for _, p in hits) / n}
        base = row[names[0]]["train_solved"]
        ratios = [row[nm]["train_solved"] / base if base else float("nan") for nm in names[1:]]
        table.append(row)
        print(f"{b:>7} | " + " | ".join(f"{row[nm]['train_solved']:>26} {row[nm]['pass_at_2']:>6.1%}" for nm in names)
              + " | " + " ".join(f"{r:.2f}x" for r in ratios))
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--library", help="a store learned on the learning half (copied; never written)")
    ap.add_argument("--iterations", type=int, default=2, help="learning iterations when no --library is given")
    ap.add_argument("--train-budget", type=int, default=20000, help="candidate programs per search call while learning")
    ap.add_argument("--train-time", type=float, default=3.0, help="seconds per search call while learning")
    ap.add_argument("--limit", type=int, default=None, help="transfer tasks (the first, by sorted id)")
    ap.add_argument("--max-budget", type=int, default=2000, help="candidate programs per transfer search")
    ap.add_argument("--time-cap", type=float, default=120.0, help="seconds per search (a safety cap, not the budget)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", dest="json_out", help="write the results here")
    args = ap.parse_args()

    from mechacoder_soar.suites import load_tasks

    tasks = sorted(load_tasks("arc1-train"), key=lambda t: t.id)
    learn = [t for t in tasks if learning_half(t.id)]
    transfer = [t for t in tasks if not learning_half(t.id)][: args.limit]
    work = Path(tempfile.mkdtemp(prefix="recognition_transfer_"))
    learned = str(work / "learned")
    if args.library:
        shutil.copytree(args.library, learned, ignore=shutil.ignore_patterns(".soar.lock"))
    else:
        train_library(learned, [t.id for t in learn], args)
    print(f"learning half {len(learn)} tasks, transfer half {len(transfer)} tasks, budget {args.max_budget}", flush=True)
    conditions = {
        "seeds": steering(str(work / "seeds"), transfer, False, []),
        "learned": steering(learned, transfer, False, learn),
        "learned+recognition": steering(learned, transfer, True, learn),
    }
    results = {}
    with ProcessPoolExecutor(args.workers) as ex:
        for name, steer in conditions.items():
            results[name] = run_condition(name, steer, transfer, args, ex)
    summary = report(results, [t.id for t in transfer], args.max_budget)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"args": vars(args), **summary, "tasks": [t.id for t in transfer],
                                                   "results": results}, indent=1))
        print(f"wrote {args.json_out}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
