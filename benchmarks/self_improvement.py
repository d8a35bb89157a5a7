"""Does the library make the search better? Learn on arc1-train, evaluate on arc1-eval at a fixed
per-task budget, before any learning (seed library only) and after each learning iteration.

    .venv/bin/python benchmarks/self_improvement.py --train-limit 40 --eval-limit 40 --iterations 2 --search-budget 5000

Evaluation never learns (RunConfig.learn=False) and every evaluation round uses the same budget, so
a change in eval pass@2 is the library's doing. The budget is counted in candidate programs per
search call (--search-budget), so it is the same on any machine and under any load; --search-time
is only a safety cap. Prints train-solved and eval pass@2 per iteration,
library size and wall time; writes the table as JSON to --out.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--train-suite", default="arc1-train")
    ap.add_argument("--eval-suite", default="arc1-eval")
    ap.add_argument("--train-limit", type=int, default=40)
    ap.add_argument("--eval-limit", type=int, default=40)
    ap.add_argument("--iterations", type=int, default=2)
    ap.add_argument("--search-budget", type=int, default=5000, help="candidate programs per search call (the budget)")
    ap.add_argument("--search-time", type=float, default=60.0, help="library search seconds per call (a safety cap)")
    ap.add_argument("--budget-sample", type=int, default=8)
    ap.add_argument("--budget-refine", type=int, default=2)
    ap.add_argument("--concurrency", type=int, default=2)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()

    from rich.console import Console

    from graphs.runner import run_loop
    from mechacoder_soar.config import RunConfig
    from mechacoder_soar.library_search.config import SearchConfig
    from skills_store import StoreConfig
    from skills_store.store import SkillStore

    con = Console()
    work = Path(tempfile.mkdtemp(prefix="self_improvement_"))
    rows = []
    common = dict(budget_sample=args.budget_sample, budget_refine=args.budget_refine, search=SearchConfig(time_limit_s=args.search_time, budget=args.search_budget),
                  concurrency=args.concurrency, proposer="library")
    with SkillStore(StoreConfig(location=str(work / "store"))) as lib:
        def evaluate(it: int) -> dict:
            t = time.time()
            cfg = RunConfig(suite=args.eval_suite, limit=args.eval_limit, iterations=1, learn=False,
                            run_dir=str(work / f"eval-{it}"), **common)
            r = run_loop(cfg, library=lib)["iterations"][0]
            return {"eval_pass_at_2": r["test_pass_at_2"], "eval_train_solved": r["train_solved"],
                    "eval_wall_s": round(time.time() - t, 1)}

        def show(row: dict) -> None:
            con.print(f"iteration {row['iteration']}: train-solved {row['train_solved']}  "
                      f"eval pass@2 {row['eval_pass_at_2']:.1%}  eval train-solved {row['eval_train_solved']}/{args.eval_limit}  "
                      f"library {row['library_size']}  train {row['train_wall_s']} s  eval {row['eval_wall_s']} s")

        row = {"iteration": 0, "train_solved": None, "library_size": None, "train_wall_s": 0.0, **evaluate(0)}
        row["library_size"] = lib.stats()["skills"]
        rows.append(row)
        show(row)
        train_cfg = dict(suite=args.train_suite, limit=args.train_limit, run_dir=str(work / "train"), **common)
        for it in range(1, args.iterations + 1):
            t = time.time()
            m = run_loop(RunConfig(iterations=it, **train_cfg), library=lib, resume=it > 1)
            tr = m["iterations"][-1]
            row = {"iteration": it, "train_solved": tr["train_solved"], "library_size": lib.stats()["skills"],
                   "train_wall_s": round(time.time() - t, 1), **evaluate(it)}
            rows.append(row)
            show(row)
    con.print("\n[b]self-improvement at equal eval budget[/b]")
    con.print(f"{'iter':>4} {'train solved':>12} {'eval pass@2':>11} {'library':>8} {'train s':>8} {'eval s':>7}")
    for r in rows:
        con.print(f"{r['iteration']:>4} {str(r['train_solved'] if r['train_solved'] is not None else '-'):>12} "
                  f"{r['eval_pass_at_2']:>10.1%} {r['library_size']:>8} {r['train_wall_s']:>8} {r['eval_wall_s']:>7}")
    first, last = rows[0]["eval_pass_at_2"], rows[-1]["eval_pass_at_2"]
    con.print(f"eval pass@2 lift: {first:.1%} -> {last:.1%} ({(last / first if first else float('inf')):.2f}x); "
              f"per-task eval budget: {args.budget_sample} samples + {args.budget_refine} refinements, "
              f"{args.search_budget} programs per search call (cap {args.search_time:.0f} s)")
    out = Path(args.out) if args.out else work / "self_improvement.json"
    out.write_text(json.dumps({"args": vars(args), "rows": rows}, indent=2))
    con.print(f"wrote {out}")


if __name__ == "__main__":
    main()
