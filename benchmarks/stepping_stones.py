"""Do grounded stepping stones help the search on hard tasks it never saw? On the development
protocol (mechacoder_soar/arc/protocol.py):

1. learn: the SOAR loop on arc1-train:learn (no LLM) builds a library and a run whose fail@K tasks
   (no train-correct program) are the curriculum's hard tasks;
2. admit: `run_curriculum` (dry run, on a scratch copy) makes stepping-stone batches from some of
   those hard tasks and admits a batch only if it lifts the student on other, held-out hard
   learn tasks (`soar curriculum` does the same);
3. measure, on tasks neither step saw: the arc1-train:transfer tasks the student fails at the
   budget with the learned library, searched again with no stones, with the admitted stones and
   with every stone.

    .venv/bin/python benchmarks/stepping_stones.py --learn-limit 20 --transfer-limit 40 --search-budget 3000

The student search is bounded by programs (--search-budget), not time, so the figures are the
same on any machine: "no stones" on the transfer hard tasks is 0 by construction and is measured
anyway as a check. Prints one JSON object (also written to ROOT/stepping_stones.json).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import transfer_eval as te  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--learn-suite", default="arc1-train:learn")
    ap.add_argument("--learn-limit", type=int, default=20)
    ap.add_argument("--iterations", type=int, default=1, help="learning iterations before the curriculum")
    ap.add_argument("--learn-budget", type=int, default=3000, help="programs per search call while learning")
    ap.add_argument("--transfer-suite", default="arc1-train:transfer")
    ap.add_argument("--transfer-limit", type=int, default=40)
    ap.add_argument("--holdout", type=int, default=3, help="hard learn tasks that decide admission")
    ap.add_argument("--max-sources", type=int, default=6, help="hard learn tasks stepping stones are made from")
    ap.add_argument("--search-budget", type=int, default=3000, help="student: programs per task (the budget)")
    ap.add_argument("--time-cap", type=float, default=120.0, help="student: seconds per task (a safety cap)")
    ap.add_argument("--generators", default="hindsight,prefix,subset")
    ap.add_argument("--root", help="work directory (default: a new temporary one)")
    return ap.parse_args(argv)


def learn(args: argparse.Namespace, root: Path) -> Path:
    from skills_store import StoreConfig
    from skills_store.store import SkillStore

    with SkillStore(StoreConfig(location=str(root / "store"))) as lib:
        te.learn_iterations(lib, args.learn_suite, args.learn_limit, args.iterations, root / "learn",
                            budget=args.learn_budget, budget_sample=4, budget_refine=1,
                            on_iteration=lambda it, r: print(f"learn iteration {it}: train-solved {r['train_solved']}"
                                                             f"/{r['tasks']}, library {r['library_size']}", file=sys.stderr))
    return root / "learn"


def admit(run_dir: Path, lib, cfg, max_sources: int) -> tuple[dict, list]:
    """The curriculum on the learn run: (its result, every candidate batch)."""
    from mechacoder_soar.curriculum import hard_task_ids, make_batches, run_curriculum, split_hard
    from mechacoder_soar.report.rundata import load_run
    from mechacoder_soar.suites import load_tasks

    run = load_run(run_dir)
    hard = hard_task_ids(run.iterations, run.attempts)
    tasks = {t.id: t.public() for t in load_tasks(run.config["suite"], None, hard)}
    held, sources = split_hard(hard, cfg.holdout, cfg.seed)
    batches = make_batches([tasks[t] for t in sources[:max_sources]], run.by_task(), cfg)
    out = run_curriculum(tasks, run.iterations, run.attempts, lib, cfg, batches=batches,
                         on_event=lambda k, d: print(f"  {k}: {d.get('name', '')} gain {d.get('gain', '')}"
                                                     f" {'ADMITTED' if d.get('admitted') else ''}", file=sys.stderr))
    return out, batches


def measure_transfer(lib, args: argparse.Namespace, cfg, batches: list, admitted: set[str]) -> dict:
    """The transfer tasks the student fails at the budget, then solved with no / admitted / every stone."""
    from mechacoder_soar.curriculum import Scratch, measure_student

    tasks = [t.public() for t in te.select_tasks(args.transfer_suite, args.transfer_limit)]
    first = measure_student(lib, tasks, cfg)
    hard = [t for t in tasks if not first.solved[t.id]]
    res = {"tasks": len(tasks), "solved_with_library": len(tasks) - len(hard), "hard": [t.id for t in hard]}
    if not hard:
        return res
    kept = [b for b in batches if b.name in admitted]
    with tempfile.TemporaryDirectory(prefix="stones-") as tmp:
        scratch = Scratch(lib, Path(tmp))
        try:
            for name, view in (("no_stones", scratch.base), ("admitted_stones", scratch.trial(kept)),
                               ("every_stone", scratch.trial(batches))):
                m = measure_student(view, hard, cfg)
                res[name] = {"solved": sum(1 for v in m.solved.values() if v), "tasks": sorted(t for t, v in m.solved.items() if v)}
        finally:
            scratch.close()
    res["stones"] = {"admitted": sum(len(b.stones) for b in kept), "every": sum(len(b.stones) for b in batches)}
    return res


def verdict(tr: dict) -> str:
    if not tr.get("hard"):
        return "no transfer task failed at the budget: nothing to lift"
    n, adm, every = len(tr["hard"]), tr["admitted_stones"]["solved"], tr["every_stone"]["solved"]
    lifted = "LIFTS" if adm > tr["no_stones"]["solved"] else "does NOT lift"
    return (f"grounded stepping stones {lifted} the transfer hard tasks: {tr['no_stones']['solved']}/{n} with no stones, "
            f"{adm}/{n} with the {tr['stones']['admitted']} admitted stones, {every}/{n} with all {tr['stones']['every']} stones")


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    from mechacoder_soar.arc.protocol import check_suite
    from mechacoder_soar.curriculum import CurriculumConfig
    from mechacoder_soar.library_search.config import SearchConfig
    from mechacoder_soar.proposers.library import LibrarySearchConfig
    from skills_store import StoreConfig
    from skills_store.store import SkillStore

    check_suite(args.learn_suite, limit=args.learn_limit)
    check_suite(args.transfer_suite, limit=args.transfer_limit)
    root = Path(args.root) if args.root else Path(tempfile.mkdtemp(prefix="stepping_stones_"))
    root.mkdir(parents=True, exist_ok=True)  # a finished learn run there is reused
    t0 = time.time()
    run_dir = root / "learn" if (root / "learn" / "metrics.json").exists() else learn(args, root)
    t_learn = time.time() - t0
    student = LibrarySearchConfig(search=SearchConfig(time_limit_s=args.time_cap, budget=args.search_budget))
    cfg = CurriculumConfig(holdout=args.holdout, repeats=1, student=student,
                           generators=tuple(args.generators.split(",")), dry_run=True)
    with SkillStore(StoreConfig(location=str(root / "store"))) as lib:
        t1 = time.time()
        cur, batches = admit(run_dir, lib, cfg, args.max_sources)
        t_admit = time.time() - t1
        t2 = time.time()
        tr = measure_transfer(lib, args, cfg, batches, {b["name"] for b in cur["batches"] if b["admitted"]})
        t_transfer = time.time() - t2
    s = cur["summary"]
    res = {"args": vars(args),
           "admission": {"hard_learn_tasks": s["hard_tasks"], "holdout": cur["holdout"], "sources": cur["sources"],
                         "batches": s["batches"], "admitted": s["admitted"], "stones_total": s["stones_total"],
                         "stones_admitted": s["stones_admitted"],
                         "holdout_solve_rate": {"baseline": s["baseline_rate"], "grounded": s["grounded_rate"],
                                                "every_stone": s["ungrounded_rate"]},
                         "per_batch": [{k: b[k] for k in ("name", "n_stones", "before", "after", "gain", "admitted")}
                                       for b in cur["batches"]]},
           "transfer": tr, "verdict": verdict(tr),
           "wall_s": {"learn": round(t_learn, 1), "admit": round(t_admit, 1), "transfer": round(t_transfer, 1)}}
    (root / "stepping_stones.json").write_text(json.dumps(res, indent=2))
    print(json.dumps(res, indent=2))
    print(res["verdict"], file=sys.stderr)
    return res


if __name__ == "__main__":
    te.run_main(main)
