"""Does the library make the search better on tasks it never learned from? The development
protocol (mechacoder_soar/arc/protocol.py): learn on arc1-train:learn, measure on
arc1-train:transfer, before any learning (the seed library: iteration 0) and after each learning
iteration, at an equal budget of candidate programs per task.

    .venv/bin/python benchmarks/self_improvement.py       # 30 learn / 30 transfer tasks, 2 iterations, 2,000 programs
    .venv/bin/python benchmarks/self_improvement.py --learn-limit 80 --transfer-limit 80 --iterations 2 \\
        --max-budget 5000 --learn-budget 5000 --arc2 --json --plot docs/img/self_improvement.png
    .venv/bin/python benchmarks/self_improvement.py ... --final           # + all 400 arc1-eval tasks (final table)

Evaluation never learns: each transfer task is searched once per iteration's library, up to
--max-budget programs, steered as the library proposer steers it, recording when each
train-correct program was found (benchmarks/transfer_eval.py), so one run gives train-solved and
pass@2 (ARC Prize's rule) at every smaller budget too. The budget is counted in programs, so the
figures are the same on any machine and under any load (--time-cap is only a safety cap).
Prints a table per evaluation suite, the lift at every budget and the median programs to a first
solution on the tasks both solve, and writes JSON (--out; the whole result on stdout with --json) and a plot of solved vs budget per iteration (--plot).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import transfer_eval as te  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--learn-suite", default="arc1-train:learn")
    ap.add_argument("--learn-limit", type=int, default=30, help="first N learn tasks (sorted ids)")
    ap.add_argument("--iterations", type=int, default=2, help="learning iterations")
    ap.add_argument("--learn-budget", type=int, default=2000, help="programs per search call while learning")
    ap.add_argument("--budget-sample", type=int, default=8, help="learning: samples per task per iteration")
    ap.add_argument("--budget-refine", type=int, default=2, help="learning: refinements per task per iteration")
    ap.add_argument("--transfer-suite", default="arc1-train:transfer")
    ap.add_argument("--transfer-limit", type=int, default=30, help="first N transfer tasks (sorted ids)")
    ap.add_argument("--arc2", action="store_true", help="also evaluate on arc2-train:transfer (second dev set)")
    ap.add_argument("--arc2-limit", type=int, default=30)
    ap.add_argument("--final", action="store_true", help="also evaluate on all 400 arc1-eval tasks (the final table)")
    ap.add_argument("--max-budget", type=int, default=2000, help="programs per task per evaluation (the equal budget)")
    ap.add_argument("--time-cap", type=float, default=300.0, help="seconds per evaluation search (a safety cap)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", help="JSON result (default: in the work directory)")
    ap.add_argument("--plot", help="PNG of solved vs budget per iteration (default: next to --out)")
    ap.add_argument("--json", action="store_true", help="print the whole result as JSON on stdout at the end")
    ap.add_argument("--report", metavar="JSON", help="only re-print and re-plot an earlier run's JSON (plot to --plot)")
    return ap.parse_args(argv)


def eval_suites(args: argparse.Namespace) -> list[tuple[str, int | None, bool]]:
    """(suite, limit, final) for every evaluation; checked against the protocol before any work."""
    from mechacoder_soar.arc.protocol import check_suite

    suites = [(args.transfer_suite, args.transfer_limit, False)]
    if args.arc2:
        suites.append(("arc2-train:transfer", args.arc2_limit, False))
    if args.final:
        suites.append(("arc1-eval", None, True))
    check_suite(args.learn_suite, limit=args.learn_limit)
    for s, limit, final in suites:
        check_suite(s, final=final, limit=limit)
    return suites


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    if args.report:
        result = json.loads(Path(args.report).read_text())
        print_tables(result)
        plot(result, Path(args.plot) if args.plot else Path(args.report).with_suffix(".png"))
        return result
    suites = eval_suites(args)
    from skills_store import StoreConfig
    from skills_store.store import SkillStore

    work = Path(tempfile.mkdtemp(prefix="self_improvement_"))
    out = Path(args.out) if args.out else work / "self_improvement.json"
    tasks = {s: te.select_tasks(s, limit, final=final) for s, limit, final in suites}
    learn_tasks = te.select_tasks(args.learn_suite, args.learn_limit)
    budgets = te.budgets_up_to(args.max_budget)
    rows: list[dict] = []
    t_start = time.time()
    with SkillStore(StoreConfig(location=str(work / "store"))) as lib:
        def evaluate(it: int, learn_row: dict | None) -> None:
            row = {"iteration": it, "learn_train_solved": learn_row and learn_row["train_solved"],
                   "learn_wall_s": learn_row and learn_row["learn_wall_s"], "suites": {}}
            for s, ts in tasks.items():
                t = time.time()
                res = te.search_all(ts, te.steer_all(lib, ts, learn_tasks), args.max_budget, args.time_cap, args.workers,
                                    label=f"iteration {it} {s}")
                row["suites"][s] = {"tasks": [x.id for x in ts], "curve": te.curve(res, budgets), "results": res,
                                    "eval_wall_s": round(time.time() - t, 1)}
            row["library_size"] = lib.stats()["skills"]
            rows.append(row)
            show_row(row, args)

        evaluate(0, None)  # the seed library (steer_all adds the seeds)
        te.learn_iterations(lib, args.learn_suite, args.learn_limit, args.iterations, work / "learn",
                            budget=args.learn_budget, budget_sample=args.budget_sample,
                            budget_refine=args.budget_refine, concurrency=args.workers,
                            on_iteration=lambda it, r: evaluate(it, r))
    result = {"args": vars(args), "budgets": budgets, "rows": rows, "summary": summarize(rows, suites),
              "wall_s": round(time.time() - t_start, 1)}
    print_tables(result, sys.stderr if args.json else sys.stdout)
    out.write_text(json.dumps(result, indent=1))
    plot_path = Path(args.plot) if args.plot else out.with_suffix(".png")
    plot(result, plot_path)
    print(f"wrote {out} and {plot_path}", file=sys.stderr)
    if args.json:
        print(json.dumps(result, indent=1))
    return result


def show_row(row: dict, args: argparse.Namespace) -> None:
    parts = [f"iteration {row['iteration']}: library {row['library_size']}"]
    if row["learn_train_solved"] is not None:
        parts.append(f"learn train-solved {row['learn_train_solved']}/{args.learn_limit} ({row['learn_wall_s']} s)")
    for s, d in row["suites"].items():
        top = d["curve"][-1]
        parts.append(f"{s}: train-solved {top['train_solved']}/{len(d['tasks'])}, pass@2 {top['pass_at_2']} "
                     f"at {top['budget']} programs ({d['eval_wall_s']} s)")
    print("; ".join(parts), file=sys.stderr, flush=True)


def summarize(rows: list[dict], suites: list[tuple]) -> dict:
    """Per suite, seeds (iteration 0) vs the last iteration: the ratios at the largest budget and at
    every budget, and the median programs to a first train-correct program on the tasks both solve
    (how much sooner the library finds what both find)."""
    first, last = rows[0], rows[-1]
    ratio = (lambda x, y: round(y / x, 3) if x else None)
    out = {}
    for s, _, _ in suites:
        a, b = first["suites"][s]["curve"][-1], last["suites"][s]["curve"][-1]
        both = [(x["found"][0][0], y["found"][0][0]) for x, y in
                zip(first["suites"][s]["results"], last["suites"][s]["results"]) if x["found"] and y["found"]]
        out[s] = {"tasks": len(first["suites"][s]["tasks"]), "budget": a["budget"],
                  "seeds": {"train_solved": a["train_solved"], "pass_at_2": a["pass_at_2"]},
                  "learned": {"train_solved": b["train_solved"], "pass_at_2": b["pass_at_2"]},
                  "ratio_train_solved": ratio(a["train_solved"], b["train_solved"]),
                  "ratio_pass_at_2": ratio(a["pass_at_2"], b["pass_at_2"]),
                  "lift_by_budget": [{"budget": x["budget"], "train_solved": ratio(x["train_solved"], y["train_solved"]),
                                      "pass_at_2": ratio(x["pass_at_2"], y["pass_at_2"])}
                                     for x, y in zip(first["suites"][s]["curve"], last["suites"][s]["curve"])],
                  "median_programs_to_first": {"solved_by_both": len(both),
                                               "seeds": statistics.median(x for x, _ in both) if both else None,
                                               "learned": statistics.median(y for _, y in both) if both else None},
                  "gained": [t for t, x, y in zip(first["suites"][s]["tasks"], first["suites"][s]["results"],
                                                   last["suites"][s]["results"]) if y["found"] and not x["found"]],
                  "lost": [t for t, x, y in zip(first["suites"][s]["tasks"], first["suites"][s]["results"],
                                                 last["suites"][s]["results"]) if x["found"] and not y["found"]]}
    return out


def print_tables(result: dict, file=sys.stdout) -> None:
    def say(*a) -> None:
        print(*a, file=file)

    rows = result["rows"]
    for s, summ in result["summary"].items():
        say(f"\n{s}: {summ['tasks']} tasks; train-solved/pass@2 (ARC Prize rule) per budget; iteration 0 = seeds only")
        say(f"{'iteration':>9} {'library':>8} | " + " ".join(f"{b:>9}" for b in result["budgets"]))
        for r in rows:
            cells = " ".join(f"{c['train_solved']:>4}/{c['pass_at_2']:<4}" for c in r["suites"][s]["curve"])
            say(f"{r['iteration']:>9} {r['library_size']:>8} | {cells}")
        rt, rp = summ["ratio_train_solved"], summ["ratio_pass_at_2"]
        say(f"at {summ['budget']} programs: train-solved {summ['seeds']['train_solved']} -> {summ['learned']['train_solved']}"
            f" ({'n/a' if rt is None else f'{rt:.2f}x'}), pass@2 {summ['seeds']['pass_at_2']} -> "
            f"{summ['learned']['pass_at_2']} ({'n/a' if rp is None else f'{rp:.2f}x'}); "
            f"gained {summ['gained'] or 'none'}, lost {summ['lost'] or 'none'}")
        fmt = (lambda r: "n/a" if r is None else f"{r:.2f}x")
        say("lift per budget, train-solved (pass@2): " + ", ".join(
            f"{x['budget']}: {fmt(x['train_solved'])} ({fmt(x['pass_at_2'])})" for x in summ["lift_by_budget"]))
        m = summ["median_programs_to_first"]
        say(f"median programs to the first train-correct program, on the {m['solved_by_both']} tasks both solve: "
            f"seeds {m['seeds']}, learned {m['learned']}")
    say(f"wall {result['wall_s']} s")


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    suites = list(result["summary"])
    fig, axes = plt.subplots(1, len(suites), figsize=(5.5 * len(suites), 4), squeeze=False)
    for ax, s in zip(axes[0], suites):
        n = result["summary"][s]["tasks"]
        for r in result["rows"]:
            c = r["suites"][s]["curve"]
            name = "seeds only" if r["iteration"] == 0 else f"learned, iteration {r['iteration']}"
            line, = ax.plot([x["budget"] for x in c], [x["train_solved"] for x in c], marker="o",
                            ls="--" if r["iteration"] == 0 else "-", label=f"{name}: train-solved")
            ax.plot([x["budget"] for x in c], [x["pass_at_2"] for x in c], marker=".", ls=":", color=line.get_color(),
                    label=f"{name}: pass@2")
        ax.set_xscale("log")
        ax.set_xticks(result["budgets"], [f"{b:,}" for b in result["budgets"]], fontsize=7)
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.set_xlabel("candidate programs per task (budget)")
        ax.set_ylabel(f"tasks of {n}")
        ax.set_title(s)
        ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    te.run_main(main)
