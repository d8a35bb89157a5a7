"""Does what the library learned make the search cheaper on tasks it never saw, at every budget?

    .venv/bin/python benchmarks/search_transfer.py --train-limit 40 --iterations 2 --eval-limit 40 --max-budget 20000
    .venv/bin/python benchmarks/search_transfer.py --library STORE_DIR --eval-limit 100   # a library learned before
    .venv/bin/python benchmarks/search_transfer.py --library STORE_DIR --final            # all 400 arc1-eval tasks

Under the development protocol (mechacoder_soar/arc/protocol.py): the library is learned on
arc1-train:learn and measured on arc1-train:transfer; arc1-eval only with --final, all of it.
`self_improvement.py` follows the library iteration by iteration; this compares two libraries (the
seeds alone and a learned one, e.g. from an earlier run) up to a larger budget. Each task is
searched once per condition up to --max-budget candidate programs, steered exactly as the library
proposer steers it, recording when each train-correct program was found
(benchmarks/transfer_eval.py), so one run gives every smaller budget:

    seed     a library holding only the seed skills (iteration 0)
    learned  the learned library (retrieval order, learned compositions, learned prior, and
             whatever else the proposer's steering takes from the library)

Prints, per budget, train-solved and pass@2 (ARC Prize's rule) for both, and for tasks both solve
the evaluations each needed. Writes JSON and a plot of solved-vs-budget next to it (--out).
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import transfer_eval as te  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--library", help="a learned store directory to evaluate (copied; never written)")
    ap.add_argument("--train-suite", default="arc1-train:learn", help="learned on (with --library: what it was learned on)")
    ap.add_argument("--train-limit", type=int, default=40)
    ap.add_argument("--iterations", type=int, default=2)
    ap.add_argument("--train-budget", type=int, default=5000, help="candidate programs per search call while learning")
    ap.add_argument("--eval-suite", default="arc1-train:transfer")
    ap.add_argument("--eval-limit", type=int, default=None, help="first N eval tasks (sorted ids; default 40, all with --final)")
    ap.add_argument("--final", action="store_true", help="evaluate on all 400 arc1-eval tasks (the final table)")
    ap.add_argument("--max-budget", type=int, default=20000, help="candidate programs per eval search")
    ap.add_argument("--time-cap", type=float, default=600.0, help="seconds per eval search (a safety cap, not the budget)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default=None)
    ap.add_argument("--report", metavar="JSON", help="only re-print and re-plot an earlier run's JSON (to --out, or over it)")
    args = ap.parse_args(argv)
    if args.final:
        args.eval_suite = "arc1-eval"
    elif args.eval_limit is None:
        args.eval_limit = 40
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.report:
        old = json.loads(Path(args.report).read_text())
        args.out, args.eval_suite, args.max_budget = args.out or args.report, old["args"]["eval_suite"], old["args"]["max_budget"]
        report(old["results"], old["tasks"], args, old["args"])
        return
    from skills_store import StoreConfig
    from skills_store.store import SkillStore

    tasks = te.select_tasks(args.eval_suite, args.eval_limit, final=args.final)  # protocol check before any work
    work = Path(tempfile.mkdtemp(prefix="search_transfer_"))
    learned = work / "learned"
    if args.library:
        shutil.copytree(args.library, learned, ignore=shutil.ignore_patterns(".soar.lock"))
    else:
        t = time.time()
        with SkillStore(StoreConfig(location=str(learned))) as lib:
            te.learn_iterations(lib, args.train_suite, args.train_limit, args.iterations, work / "train",
                                budget=args.train_budget, concurrency=args.workers,
                                on_iteration=lambda it, r: print(f"train iteration {it}: train-solved {r['train_solved']}, "
                                                                 f"library {lib.stats()['skills']}", flush=True))
        print(f"trained in {time.time() - t:.0f} s", flush=True)
    observed = te.select_tasks(args.train_suite, args.train_limit)  # what the library was learned on
    results: dict[str, list[dict]] = {}
    for name, location in (("seed", work / "seed"), ("learned", learned)):
        with SkillStore(StoreConfig(location=str(location))) as lib:
            steers = te.steer_all(lib, tasks, observed)
        if name == "learned":
            print(f"{len(tasks)} eval tasks; learned compositions retrieved for "
                  f"{sum(1 for s in steers if s['extra_programs'])}", flush=True)
        results[name] = te.search_all(tasks, steers, args.max_budget, args.time_cap, args.workers, label=name)
    args.out = args.out or str(work / "search_transfer.json")
    report(results, [t.id for t in tasks], args, vars(args))


def first_found(r: dict) -> int | None:
    return r["found"][0][0] if r["found"] else None


def compare(results: dict[str, list[dict]], task_ids: list[str]) -> dict:
    """For tasks both conditions solve: evaluations to the first train-correct program; and the
    tasks one condition solves within the largest budget and the other does not."""
    seed, learned = results["seed"], results["learned"]
    both = [(first_found(s), first_found(l)) for s, l in zip(seed, learned) if s["found"] and l["found"]]
    out = {"solved_by_both": len(both),
           "gained": [t for s, l, t in zip(seed, learned, task_ids) if l["found"] and not s["found"]],
           "lost": [t for s, l, t in zip(seed, learned, task_ids) if s["found"] and not l["found"]]}
    if both:
        ratios = [l / max(s, 1) for s, l in both]
        out.update(median_evals_seed=statistics.median(s for s, _ in both),
                   median_evals_learned=statistics.median(l for _, l in both),
                   median_ratio_learned_over_seed=round(statistics.median(ratios), 3),
                   cheaper=sum(r < 1 for r in ratios), dearer=sum(r > 1 for r in ratios))
    return out


def report(results: dict[str, list[dict]], task_ids: list[str], args, run_args: dict) -> None:
    """The table, the summary, the JSON and the plot, from one run's per-task results."""
    n = len(task_ids)
    budgets = te.budgets_up_to(args.max_budget)
    curves = {name: te.curve(res, budgets) for name, res in results.items()}
    table = [{"budget": b, **{name: {"train_solved": curves[name][i]["train_solved"],
                                     "pass_at_2": curves[name][i]["pass_at_2"]} for name in curves}}
             for i, b in enumerate(budgets)]
    print(f"\n{args.eval_suite}, {n} tasks (pass@2: ARC Prize's rule, tasks)")
    print(f"{'budget':>8} | {'seed solved':>11} {'pass@2':>7} | {'learned solved':>14} {'pass@2':>7}")
    for row in table:
        print(f"{row['budget']:>8} | {row['seed']['train_solved']:>11} {row['seed']['pass_at_2']:>7} | "
              f"{row['learned']['train_solved']:>14} {row['learned']['pass_at_2']:>7}")
    summary = compare(results, task_ids)
    if summary["solved_by_both"]:
        print(f"\nsolved by both: {summary['solved_by_both']}; evaluations to the first train-correct program, median: "
              f"seed {summary['median_evals_seed']}, learned {summary['median_evals_learned']} "
              f"(per-task ratio median {summary['median_ratio_learned_over_seed']}; cheaper on {summary['cheaper']}, "
              f"dearer on {summary['dearer']})")
    print(f"gained by learning: {summary['gained'] or 'none'}; lost: {summary['lost'] or 'none'}")
    out = Path(args.out)
    out.write_text(json.dumps({"args": run_args, "table": table, "summary": summary,
                               "tasks": task_ids, "results": results}, indent=1))
    plot(table, n, args.eval_suite, out.with_suffix(".png"))
    print(f"wrote {out} and {out.with_suffix('.png')}")


def plot(table: list[dict], n: int, suite: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    budgets = [r["budget"] for r in table]
    fig, ax = plt.subplots(figsize=(6, 4))
    for name in ("seed", "learned"):
        line, = ax.plot(budgets, [r[name]["train_solved"] for r in table], marker="o", label=f"{name}: train-solved")
        ax.plot(budgets, [r[name]["pass_at_2"] for r in table], ls=":", marker=".", color=line.get_color(),
                label=f"{name}: pass@2")
    ax.set_xscale("log")
    ax.set_xticks(budgets, [f"{b:,}" for b in budgets], fontsize=7)
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_xlabel("candidate programs per task (budget)")
    ax.set_ylabel(f"tasks of {n}")
    ax.set_title(f"{suite}: seed vs learned library")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    te.run_main(main)
