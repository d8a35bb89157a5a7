"""Does test-time learning on the target tasks pay? `soar adapt` on held-out development tasks
with the cross-iteration memory (mechacoder_soar/task_memory.py: each unsolved task's closest
misses lead the next iteration's search on it) and without it (`stones_per_task=0`), side by
side at the same budget of programs per call: train-solved and pass@2 (ARC Prize's rule) per
iteration, the lift of the last iteration over iteration 0, wall time and library size.

    .venv/bin/python benchmarks/adapt_lift.py        # first 30 arc1-train:transfer tasks, 3 iterations, 2,000 programs
    .venv/bin/python benchmarks/adapt_lift.py --limit 10 --iterations 2 --json
    .venv/bin/python benchmarks/adapt_lift.py --arms memory      # one arm only

Each arm starts from the seed library in a store of its own (under --work, default a temporary
directory) and runs exactly what `soar adapt` runs (graphs.runner.run_loop with adapt=True); the
arms run one after the other on the same tasks with the same seed, so they pay the same costs.
Development suites only (the protocol refuses eval suites here). Wall times depend on the
machine and its load; the solved counts do not (the budget is counted in programs).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ARMS = {"memory": 3, "no-memory": 0}   # arm -> stones_per_task


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--suite", default="arc1-train:transfer", help="a development suite (held-out half)")
    ap.add_argument("--limit", type=int, default=30, help="first N tasks (sorted ids)")
    ap.add_argument("--iterations", type=int, default=3)
    ap.add_argument("--budget", type=int, default=2000, help="programs per search call (the equal budget)")
    ap.add_argument("--time-cap", type=float, default=20.0, help="seconds per search call (a safety cap)")
    ap.add_argument("--arms", default=",".join(ARMS), help=f"comma-separated, of {', '.join(ARMS)}")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--work", help="directory for the arms' stores and run directories (default: temporary)")
    ap.add_argument("--json", action="store_true", help="print the whole result as JSON on stdout at the end")
    args = ap.parse_args(argv)
    args.arms = [a for a in args.arms.split(",") if a]
    bad = [a for a in args.arms if a not in ARMS]
    if bad or not args.arms:
        ap.error(f"--arms: unknown arm(s) {bad or args.arms}; choose from {', '.join(ARMS)}")
    return args


def run_arm(args: argparse.Namespace, arm: str, work: Path) -> dict:
    """One `soar adapt` run from the seed library; its per-iteration rows and wall time."""
    from graphs.runner import run_loop
    from mechacoder_soar.config import RunConfig
    from mechacoder_soar.library_search.config import SearchConfig

    cfg = RunConfig(suite=args.suite, limit=args.limit, iterations=args.iterations, seed=args.seed, adapt=True,
                    store=str(work / arm / "store"), namespace=f"adapt-{arm}", run_dir=str(work / arm / "run"),
                    search=SearchConfig(budget=args.budget, time_limit_s=args.time_cap), stones_per_task=ARMS[arm])
    t0 = time.time()
    metrics = run_loop(cfg)
    rows = [{"iteration": r["iteration"], "train_solved": r["train_solved"], "tasks": r["tasks"],
             "test_pass_at_2": r["test_pass_at_2"], "library_size": r["library_size"], "wall_s": r["wall_s"],
             "solved_ids": sorted(t["task_id"] for t in r["per_task"] if t["train_solved"])}
            for r in metrics["iterations"]]
    return {"arm": arm, "stones_per_task": ARMS[arm], "rows": rows, "wall_s": round(time.time() - t0, 1)}


def lift(rows: list[dict]) -> dict:
    first, last = rows[0], rows[-1]
    return {"train_solved": last["train_solved"] - first["train_solved"],
            "test_pass_at_2": round(last["test_pass_at_2"] - first["test_pass_at_2"], 4)}


def table(result: dict) -> str:
    arms = result["arms"]
    head = "iteration | " + " | ".join(f"{a['arm']}: solved  pass@2  library  wall" for a in arms)
    lines = [head, "-" * len(head)]
    for i in range(max(len(a["rows"]) for a in arms)):
        cells = []
        for a in arms:
            r = a["rows"][i] if i < len(a["rows"]) else None
            cells.append(f"{r['train_solved']:>3}/{r['tasks']:<3} {r['test_pass_at_2']:>6.1%} {r['library_size']:>7} "
                         f"{r['wall_s']:>6.0f}s" if r else " " * 30)
        lines.append(f"{i:>9} | " + " | ".join(cells))
    for a in arms:
        lf = lift(a["rows"])
        lines.append(f"{a['arm']}: lift over iteration 0: train-solved {lf['train_solved']:+d}, pass@2 "
                     f"{lf['test_pass_at_2']:+.1%}; total wall {a['wall_s']:.0f} s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    from mechacoder_soar.arc.protocol import check_suite

    check_suite(args.suite, limit=args.limit)
    with tempfile.TemporaryDirectory(prefix="adapt-lift-") as tmp:
        work = Path(args.work or tmp)
        arms = [run_arm(args, arm, work) for arm in args.arms]
    result = {"suite": args.suite, "limit": args.limit, "iterations": args.iterations, "budget": args.budget,
              "seed": args.seed, "arms": arms}
    for a in arms:
        a["lift"] = lift(a["rows"])
    print(table(result), file=sys.stderr if args.json else sys.stdout)
    if args.json:
        print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
