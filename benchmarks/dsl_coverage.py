"""How much of ARC-AGI-1 the seed DSL + composition search covers on its own (no library, no learning).

    .venv/bin/python benchmarks/dsl_coverage.py --split transfer --limit 100 --time-limit 10 --workers 2
    .venv/bin/python benchmarks/dsl_coverage.py --split eval --final           # all 400 arc1-eval tasks

Tasks are chosen as every benchmark chooses them (mechacoder_soar/arc/protocol.py): sorted ids, the
first --limit; --split train|learn|transfer is arc1-train or one of its halves; eval (arc1-eval)
only with --final, all of it. Prints the fraction of tasks with a train-correct candidate, pass@2
(ARC Prize's rule over the top-2 candidates: every test output right between them), wall time and
the median number of programs the search evaluated per task (its throughput).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from multiprocessing import Pool

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import transfer_eval as te  # noqa: E402

SPLITS = {"train": "arc1-train", "learn": "arc1-train:learn", "transfer": "arc1-train:transfer", "eval": "arc1-eval"}


def _run_one(args: tuple) -> dict:
    tid, pairs, tests, truth, time_limit, budget, depth = args
    from mechacoder_soar.arc.scoring import solved_at_2
    from mechacoder_soar.library_search.search import SearchConfig, search

    res = search(pairs, tests, SearchConfig(max_depth=depth, budget=budget, time_limit_s=time_limit))
    top2 = res.candidates[:2]
    hits = [any(c.test_outputs[i] == w for c in top2) for i, w in enumerate(truth)]
    return {
        "id": tid,
        "train_correct": res.solved,
        "pass2": solved_at_2(hits),
        "steps": [list(s) for s in res.candidates[0].steps] if res.candidates else None,
        "n_evaluated": res.n_evaluated,
        "elapsed_s": res.elapsed_s,
    }


def select(split: str, limit: int | None, final: bool) -> list:
    """The split's tasks, protocol-checked: sorted ids, the first `limit`."""
    return te.select_tasks(SPLITS[split], limit, final=final)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=sorted(SPLITS), default="transfer")
    ap.add_argument("--final", action="store_true", help="--split eval: all 400 arc1-eval tasks (the final table)")
    ap.add_argument("--limit", type=int, default=None, help="first N tasks by sorted id (default 100; all with --final)")
    ap.add_argument("--time-limit", type=float, default=10.0, help="seconds of search per task")
    ap.add_argument("--budget", type=int, default=1_000_000, help="max programs evaluated per task")
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", help="write per-task results here")
    ap.add_argument("--verbose", action="store_true", help="print every solved task")
    a = ap.parse_args(argv)
    limit = a.limit if a.limit is not None or a.final else 100
    tasks = select(a.split, limit, a.final)
    jobs = [(t.id, [(e.input, e.output) for e in t.train], t.test_inputs, t.test_outputs, a.time_limit, a.budget, a.depth)
            for t in tasks]
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
    print(f"{SPLITS[a.split]}: {n} tasks, train-correct {solved}/{n} = {solved / max(n, 1):.1%}, "
          f"pass@2 {pass2}/{n} = {pass2 / max(n, 1):.1%}, wall {wall:.0f}s "
          f"({a.time_limit:g}s/task limit, {a.workers} workers), "
          f"median programs evaluated/task {evals[len(evals) // 2] if evals else 0}", flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({SPLITS[a.split]: rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    te.run_main(main)
