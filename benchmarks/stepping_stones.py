"""Benchmark: grounded stepping-stone admission vs admitting everything (the ungrounded baseline).

1. `soar run` (the no-LLM library proposer) over a small suite slice, unless --run-dir already
   holds a finished run;
2. `run_curriculum` on it in dry-run mode against a scratch copy of the run's store: the student's
   held-out solve rate with no stones (baseline), with the admitted batches (grounded) and with
   every batch (ungrounded).

    .venv/bin/python benchmarks/stepping_stones.py --limit 10 --holdout 3 --repeats 2 --search-time 2

Prints one JSON object (also written to RUN_DIR/stepping_stones_bench.json).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--suite", default="arc1-train")
    ap.add_argument("--limit", type=int, default=10)
    ap.add_argument("--iterations", type=int, default=1)
    ap.add_argument("--budget-sample", type=int, default=4)
    ap.add_argument("--budget-refine", type=int, default=1)
    ap.add_argument("--run-search-time", type=float, default=2.0)
    ap.add_argument("--root", default="/tmp/soar-stepping-stones-bench")
    ap.add_argument("--holdout", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--search-time", type=float, default=2.0)
    ap.add_argument("--search-budget", type=int, default=3000)
    ap.add_argument("--max-depth", type=int, default=3)
    ap.add_argument("--generators", default="hindsight,prefix,subset")
    args = ap.parse_args()

    from graphs.runner import run_loop
    from mechacoder_soar.config import RunConfig
    from mechacoder_soar.curriculum import CurriculumConfig, run_curriculum_for_run
    from mechacoder_soar.library_search.config import LibrarySearchConfig, SearchConfig
    from skills_store import StoreConfig
    from skills_store.store import SkillStore

    root = Path(args.root)
    run_dir, store_dir = root / "run", root / "store"
    t0 = time.time()
    if not (run_dir / "metrics.json").exists():
        run_loop(RunConfig(suite=args.suite, limit=args.limit, iterations=args.iterations, budget_sample=args.budget_sample,
                           budget_refine=args.budget_refine, store=str(store_dir), run_dir=str(run_dir),
                           search=SearchConfig(time_limit_s=args.run_search_time)))
    run_wall = time.time() - t0
    student = LibrarySearchConfig(search=SearchConfig(time_limit_s=args.search_time, budget=args.search_budget,
                                                      max_depth=args.max_depth))
    cfg = CurriculumConfig(holdout=args.holdout, repeats=args.repeats, student=student,
                           generators=tuple(args.generators.split(",")), dry_run=True)
    with SkillStore(StoreConfig(location=str(store_dir))) as lib:
        out = run_curriculum_for_run(run_dir, lib, cfg, on_event=lambda k, d: print(k, {x: d[x] for x in d if x not in ("stone_tasks", "gains")}, file=sys.stderr))
    s = out["summary"]
    res = {"suite": args.suite, "limit": args.limit, "run_wall_s": round(run_wall, 1), "hard_tasks": s["hard_tasks"],
           "holdout": out["holdout"], "sources": out["sources"], "batches": s["batches"], "admitted": s["admitted"],
           "rejected": s["rejected"], "stones_total": s["stones_total"], "stones_admitted": s["stones_admitted"],
           "solve_rate": {"baseline": s["baseline_rate"], "grounded": s["grounded_rate"], "ungrounded": s["ungrounded_rate"]},
           "pixel_score": {"baseline": s["baseline_accuracy"], "grounded": s["grounded_accuracy"], "ungrounded": s["ungrounded_accuracy"]},
           "per_batch": [{k: b[k] for k in ("name", "n_stones", "before", "after", "gain", "admitted")} for b in out["batches"]],
           "curriculum_wall_s": s["wall_s"], "config": out["config"]}
    (run_dir / "stepping_stones_bench.json").write_text(json.dumps(res, indent=2))
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
