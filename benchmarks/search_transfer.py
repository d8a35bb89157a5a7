"""Does what the library learned on train tasks make the search cheaper on eval tasks?

    .venv/bin/python benchmarks/search_transfer.py --train-limit 200 --iterations 2 --eval-limit 100 --max-budget 20000
    .venv/bin/python benchmarks/search_transfer.py --library STORE_DIR --eval-limit 100   # a library learned before

`self_improvement.py` asks whether eval pass@2 rises at one fixed budget; this asks the question
under it, DreamCoder's: at every budget. Each eval task is searched once per condition up to
--max-budget candidate programs, recording when (in evaluations) each train-correct program was
found; the search is deterministic, so "solved within B evaluations" for every B <= max-budget
falls out of that one run. Conditions, both through the library proposer's own steering code:

    seed     a library holding only the seed skills (iteration 0): retrieval order, no prior
    learned  the learned library: retrieval order, learned compositions, learned primitive prior

Prints, per budget, train-solved (a train-correct program found) and pass@2 (one of the first two
train-correct programs found is right on the test output) for both, and for tasks both solve the
evaluations each needed. Near misses are not counted (the loop would also submit those). Writes
JSON and a plot of solved-vs-budget next to it (--out).
"""
from __future__ import annotations

import argparse
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

BUDGETS = (25, 50, 100, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000)


def search_task(pairs: list, tests: list, test_outputs: list, order: list, extras: list, prior: dict,
                budget: int, time_cap: float) -> dict:
    """One deterministic search; when each train-correct program was found, and if it is right on test."""
    from mechacoder_soar.library_search.search import SearchConfig, search

    res = search(pairs, tests, SearchConfig(budget=budget, time_limit_s=time_cap), order=order,
                 extra_programs=extras, prior=prior)
    found = sorted((c.found_at, c.test_outputs == test_outputs) for c in res.candidates if c.fully_correct)
    return {"found": found, "evaluated": res.n_evaluated, "exhausted": res.exhausted,
            "seconds": round(res.elapsed_s, 2)}


def train_library(location: str, args) -> None:
    from graphs.runner import run_loop
    from mechacoder_soar.config import RunConfig
    from mechacoder_soar.library_search.config import SearchConfig
    from skills_store import StoreConfig
    from skills_store.store import SkillStore

    with SkillStore(StoreConfig(location=location)) as lib:
        for it in range(1, args.iterations + 1):
            cfg = RunConfig(suite=args.train_suite, limit=args.train_limit, iterations=it, run_dir=str(Path(location).parent / "train"),
                            proposer="library", search=SearchConfig(budget=args.train_budget, time_limit_s=60.0),
                            concurrency=2)
            m = run_loop(cfg, library=lib, resume=it > 1)
            print(f"train iteration {it}: train-solved {m['iterations'][-1]['train_solved']}, "
                  f"library {lib.stats()['skills']}", flush=True)


def steering(location: str, tasks: list) -> list[tuple[list, list, dict]]:
    """(order, learned compositions, prior) per task, exactly as the library proposer computes them."""
    from mechacoder_soar.proposers.library import LibrarySearchConfig, LibrarySearchProposer, ensure_seed_skills
    from skills_store import StoreConfig
    from skills_store.store import SkillStore

    with SkillStore(StoreConfig(location=location)) as lib:
        ensure_seed_skills(lib)
        prop = LibrarySearchProposer(lib, LibrarySearchConfig(processes=1))
        return [(st.order, st.extras, st.prior) for st in (prop.steer(t, []) for t in tasks)]


def at_budget(r: dict, b: int) -> tuple[bool, bool]:
    found = [ok for at, ok in r["found"] if at <= b]
    return bool(found), any(found[:2])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--library", help="a learned store directory to evaluate (copied; never written)")
    ap.add_argument("--train-suite", default="arc1-train")
    ap.add_argument("--train-limit", type=int, default=200)
    ap.add_argument("--iterations", type=int, default=2)
    ap.add_argument("--train-budget", type=int, default=5000, help="candidate programs per search call while learning")
    ap.add_argument("--eval-suite", default="arc1-eval")
    ap.add_argument("--eval-limit", type=int, default=100)
    ap.add_argument("--max-budget", type=int, default=20000, help="candidate programs per eval search")
    ap.add_argument("--time-cap", type=float, default=600.0, help="seconds per eval search (a safety cap, not the budget)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default=None)
    ap.add_argument("--report", metavar="JSON", help="only re-print and re-plot an earlier run's JSON (to --out, or over it)")
    args = ap.parse_args()
    if args.report:
        old = json.loads(Path(args.report).read_text())
        args.out, args.eval_suite, args.max_budget = args.out or args.report, old["args"]["eval_suite"], old["args"]["max_budget"]
        report(old["results"], old["tasks"], args, old["args"])
        return

    from mechacoder_soar.suites import load_tasks

    work = Path(tempfile.mkdtemp(prefix="search_transfer_"))
    learned = str(work / "learned")
    if args.library:
        shutil.copytree(args.library, learned, ignore=shutil.ignore_patterns(".soar.lock"))
    else:
        t = time.time()
        train_library(learned, args)
        print(f"trained in {time.time() - t:.0f} s", flush=True)
    tasks = load_tasks(args.eval_suite, args.eval_limit)
    conditions = {"seed": steering(str(work / "seed"), tasks), "learned": steering(learned, tasks)}
    n_learned = sum(1 for o, e, p in conditions["learned"] if e)
    print(f"{len(tasks)} eval tasks; learned compositions retrieved for {n_learned}; "
          f"prior over {len(conditions['learned'][0][2])} primitives", flush=True)

    results: dict[str, list[dict]] = {}
    with ProcessPoolExecutor(args.workers) as ex:
        for name, steer in conditions.items():
            t = time.time()
            futs = [ex.submit(search_task, [(e.input, e.output) for e in task.train], task.test_inputs,
                              task.test_outputs, order, extras, prior, args.max_budget, args.time_cap)
                    for task, (order, extras, prior) in zip(tasks, steer)]
            results[name] = []
            for i, f in enumerate(futs, 1):
                results[name].append(f.result())
                if i % 10 == 0 or i == len(futs):
                    print(f"  {name}: {i}/{len(futs)} tasks, {time.time() - t:.0f} s", flush=True)
            capped = sum(r["exhausted"] == "time" for r in results[name])
            if capped:
                print(f"  {name}: {capped} searches hit the time cap before the budget (raise --time-cap)", flush=True)

    args.out = args.out or str(work / "search_transfer.json")
    report(results, [t.id for t in tasks], args, vars(args))


def report(results: dict[str, list[dict]], task_ids: list[str], args, run_args: dict) -> None:
    """The table, the summary, the JSON and the plot, from one run's per-task results."""
    conditions = list(results)
    n = len(task_ids)
    budgets = [b for b in BUDGETS if b < args.max_budget] + [args.max_budget]
    table = []
    print(f"\n{'budget':>8} | {'seed solved':>11} {'pass@2':>7} | {'learned solved':>14} {'pass@2':>7}")
    for b in budgets:
        row = {"budget": b}
        for name in conditions:
            hits = [at_budget(r, b) for r in results[name]]
            row[name] = {"train_solved": sum(s for s, _ in hits), "pass_at_2": sum(p for _, p in hits) / n}
        table.append(row)
        print(f"{b:>8} | {row['seed']['train_solved']:>11} {row['seed']['pass_at_2']:>7.1%} | "
              f"{row['learned']['train_solved']:>14} {row['learned']['pass_at_2']:>7.1%}")
    both = [(s["found"][0][0], l["found"][0][0], t) for s, l, t in zip(results["seed"], results["learned"], task_ids)
            if s["found"] and l["found"]]
    gained = [t for s, l, t in zip(results["seed"], results["learned"], task_ids) if l["found"] and not s["found"]]
    lost = [t for s, l, t in zip(results["seed"], results["learned"], task_ids) if s["found"] and not l["found"]]
    summary = {"solved_by_both": len(both), "gained": gained, "lost": lost}
    if both:
        ratios = [l / s for s, l, _ in both]
        summary.update(median_evals_seed=statistics.median(s for s, _, _ in both),
                       median_evals_learned=statistics.median(l for _, l, _ in both),
                       median_ratio_learned_over_seed=round(statistics.median(ratios), 3),
                       cheaper=sum(r < 1 for r in ratios), dearer=sum(r > 1 for r in ratios))
        print(f"\nsolved by both: {len(both)}; evaluations to the first train-correct program, median: "
              f"seed {summary['median_evals_seed']}, learned {summary['median_evals_learned']} "
              f"(per-task ratio median {summary['median_ratio_learned_over_seed']}; cheaper on {summary['cheaper']}, "
              f"dearer on {summary['dearer']})")
    print(f"gained by learning: {gained or 'none'}; lost: {lost or 'none'}")

    out = Path(args.out)
    out.write_text(json.dumps({"args": run_args, "table": table, "summary": summary,
                               "tasks": task_ids, "results": results}, indent=1))
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4))
        for name in conditions:
            ax.plot(budgets, [r[name]["train_solved"] for r in table], marker="o", label=f"{name}: train-solved")
            ax.plot(budgets, [r[name]["pass_at_2"] * n for r in table], ls="--", marker=".", label=f"{name}: pass@2 (tasks)")
        ax.set_xscale("log")
        ax.set_xlabel("candidate programs per task (budget)")
        ax.set_ylabel(f"eval tasks of {n}")
        ax.set_title(f"{args.eval_suite}: seed vs learned library")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(out.with_suffix(".png"), dpi=120)
        print(f"wrote {out} and {out.with_suffix('.png')}")
    except ImportError:
        print(f"wrote {out} (no matplotlib: no plot)")


if __name__ == "__main__":
    main()
