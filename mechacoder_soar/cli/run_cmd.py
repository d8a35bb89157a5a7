"""`soar run` (the main job) and `soar adapt` (test-time adaptation: the same loop, target test
outputs read only by the scorer)."""
from __future__ import annotations

import json
from typing import Optional

import typer

from .common import STORE_HELP, emit_json, fail


def _run(adapt: bool, *, suite: str, limit: Optional[int], task_ids: Optional[str], iterations: int,
         budget_sample: int, budget_refine: int, proposer: str, api_base: Optional[str], store: Optional[str],
         namespace: Optional[str], run_dir: str, resume: bool, as_json: bool, concurrency: int, workers: int,
         search_time: float, search_budget: int, k_skills: int, seed: int, temperature: float, max_tokens: int,
         executor: str = "local", ray_address: Optional[str] = None, from_store: Optional[str] = None,
         base_namespace: str = "default", merge: bool = False) -> None:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from graphs.runner import RunExists, run_loop
    from mechacoder_soar.config import RunConfig
    from mechacoder_soar.distributed.ray_search import RayUnavailableError  # imports no ray
    from skills_store import StoreError

    if not adapt and (from_store or merge or base_namespace != "default"):
        fail("--from, --base-namespace and --merge are options of `soar adapt`")
    if adapt and namespace is None:
        from mechacoder_soar.adaptation import adapt_namespace

        namespace = adapt_namespace(run_dir)
    cfg = RunConfig(
        adapt_from=from_store, base_namespace=base_namespace, merge=merge,
        suite=suite, limit=limit, task_ids=[t for t in (task_ids or "").split(",") if t], iterations=iterations,
        budget_sample=budget_sample, budget_refine=budget_refine, proposer=proposer, api_base=api_base,
        store=store, namespace=namespace or "default", run_dir=run_dir, concurrency=concurrency, workers=workers,
        search_time_s=search_time, search_budget=search_budget, k_skills=k_skills, seed=seed, adapt=adapt, executor=executor,
        ray_address=ray_address, temperature=temperature, max_tokens=max_tokens,
    )
    if executor not in ("local", "ray"):
        fail(f"unknown --executor {executor!r}: choose local or ray")
    con = Console(stderr=True)
    state = {"attempts": 0, "solved": 0, "done": 0, "library": 0}
    prog = Progress(TextColumn("[b]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[info]}"), TimeElapsedColumn(), console=con, disable=as_json)
    bar = None

    def on_event(kind: str, d: dict) -> None:
        nonlocal bar
        if kind == "start":
            state["library"] = d["library"]
            con.print(f"[b]soar {'adapt' if adapt else 'run'}[/b]: {d['tasks']} tasks x {d['iterations']} iterations, "
                      f"proposer {d['proposer']}, library {d['library']} skills, run dir {d['run_dir']}")
            bar = prog.add_task("search", total=d["tasks"] * d["iterations"], info="")
        elif kind == "task" and bar is not None:
            state["attempts"] += d["attempts"]
            state["solved"] += int(d["train_solved"])
            state["done"] += 1
            prog.update(bar, advance=1, info=f"attempts {state['attempts']}  train-solved {state['solved']}  library {state['library']}")
        elif kind == "iteration":
            # the bar's counters are per iteration; the line below reports the finished one
            state.update(library=d["library_size"], attempts=0, solved=0)
            if bar is not None:
                prog.update(bar, info=f"library {state['library']}")
            p2 = d["test_pass_at_2"]
            unparsed = f"  unparsed {d['unparsed']}" if d.get("unparsed") else ""
            con.print(f"iteration {d['iteration']}: train-solved {d['train_solved']}/{d['tasks']}  "
                      f"test pass@2 {'n/a' if p2 is None else f'{p2:.1%}'}  new skills {d['new_skills']}  "
                      f"library {d['library_size']}{unparsed}  ({d['wall_s']:.0f} s)")
        elif kind == "adapt":
            con.print(adapt_line(d))

    try:
        with prog:
            metrics = run_loop(cfg, resume=resume, on_event=on_event)
    except (RunExists, StoreError, ValueError, KeyError, FileNotFoundError, RayUnavailableError) as e:
        fail(str(e).strip("'\""))
    if as_json:
        emit_json(metrics)
        return
    from rich.table import Table

    t = Table("iteration", "tasks", "attempts", "unparsed", "train solved", "test pass@2", "new skills", "library", "wall s",
              title="per-iteration results")
    for r in metrics["iterations"]:
        p2 = r["test_pass_at_2"]
        t.add_row(str(r["iteration"]), str(r["tasks"]), str(r["attempts"]), str(r.get("unparsed", 0)),
                  f"{r['train_solved']} ({r['train_solved'] / max(1, r['tasks']):.0%})",
                  "n/a" if p2 is None else f"{p2:.1%}", str(r["new_skills"]), str(r["library_size"]), f"{r['wall_s']:.0f}")
    Console().print(t)
    _print_unsolved(metrics["iterations"][-1]["per_task"] if metrics["iterations"] else [])
    typer.echo(f"run directory: {run_dir}  (config.json, attempts.jsonl, metrics.json; `soar report {run_dir}`)")


def adapt_line(d: dict) -> str:
    """`soar adapt`'s verdict: the lift of its last iteration over its iteration 0, same budget."""
    lift, base = d.get("lift") or {}, d["base"]
    if not lift:
        return "adapt: no iteration finished"
    i0, fin = lift["iteration0"], lift["final"]

    def p(x):
        return "n/a" if x is None else f"{x:.1%}"

    dp = lift["test_pass_at_2"]
    merged = d.get("merged")
    return (f"adapt: lift over iteration 0 at the same budget: train-solved {i0['train_solved']} -> {fin['train_solved']} "
            f"({lift['train_solved']:+d}), test pass@2 {p(i0['test_pass_at_2'])} -> {p(fin['test_pass_at_2'])}"
            + ("" if dp is None else f" ({100 * dp:+.1f} points)")
            + f"; learned into namespace {d['namespace']!r}; base {base['namespace']!r} of {base['store']} "
            + (f"merged: +{merged['added_to_base']} skills" if merged else "untouched (no --merge)"))


def _print_unsolved(per_task: list[dict], show: int = 10) -> None:
    """Why each task of the last iteration stayed unsolved (the best attempt's feedback)."""
    unsolved = [t for t in per_task if not t["train_solved"]]
    if not unsolved:
        return
    typer.echo(f"not solved in the last iteration: {len(unsolved)} of {len(per_task)} tasks")
    for t in unsolved[:show]:
        typer.echo(f"  {t['task_id']}: {t.get('failure') or 'no reason recorded'}")
    if len(unsolved) > show:
        typer.echo(f"  ... and {len(unsolved) - show} more (metrics.json, per_task[].failure)")


def _command(adapt: bool):
    def cmd(
        suite: str = typer.Option("arc1-train", "--suite", help="arc1-train | arc1-eval | arc2-train | arc2-eval | arc:PATH | tb:PATH"),
        limit: Optional[int] = typer.Option(None, "--limit", min=1, help="First N tasks of the suite."),
        task_ids: Optional[str] = typer.Option(None, "--task-ids", help="Comma-separated task ids."),
        iterations: int = typer.Option(2, "--iterations", min=1),
        budget_sample: int = typer.Option(8, "--budget-sample", min=0, help="Programs sampled per task per iteration."),
        budget_refine: int = typer.Option(4, "--budget-refine", min=0, help="Refinements per task per iteration."),
        proposer: str = typer.Option("library", "--proposer", help="library (no LLM) | local/smollm2 | any litellm model"),
        api_base: Optional[str] = typer.Option(None, "--api-base", help="OpenAI-compatible server, e.g. a vLLM server."),
        store: Optional[str] = typer.Option(None, "--store", help=STORE_HELP),
        namespace: Optional[str] = typer.Option(
            None, "--namespace", show_default=False,
            help=("Namespace the run learns into (default: adapt-RUN_DIR_NAME, apart from the base library)." if adapt
                  else "Namespace of the library (default: default).")),
        from_store: Optional[str] = typer.Option(
            None, "--from", hidden=not adapt, help="Store holding the base library (default: --store)."),
        base_namespace: str = typer.Option("default", "--base-namespace", hidden=not adapt,
                                           help="Namespace of the base library; left untouched unless --merge."),
        merge: bool = typer.Option(False, "--merge", hidden=not adapt,
                                   help="At the end, add the skills learned here to the base library."),
        run_dir: str = typer.Option("runs/latest", "--run-dir"),
        resume: bool = typer.Option(False, "--resume", help="Continue an interrupted run in --run-dir."),
        as_json: bool = typer.Option(False, "--json", help="Print metrics.json at the end."),
        concurrency: int = typer.Option(2, "--concurrency", min=1, help="Tasks searched at once."),
        workers: int = typer.Option(2, "--workers", min=1, help="Sandboxed executor workers."),
        search_time: float = typer.Option(20.0, "--search-time", help="Library search: seconds per task per call."),
        search_budget: int = typer.Option(20_000, "--search-budget", min=1,
                                          help="Library search: candidate programs per task per call (same on any machine)."),
        k_skills: int = typer.Option(4, "--k-skills", min=0),
        seed: int = typer.Option(0, "--seed"),
        temperature: float = typer.Option(1.0, "--temperature", min=0.0, help="LLM proposers: sampling temperature."),
        max_tokens: int = typer.Option(1024, "--max-tokens", min=1, help="LLM proposers: tokens per completion."),
        executor: str = typer.Option("local", "--executor",
                                     help="Where per-task search runs: local | ray (needs Ray installed; see docs/distributed.md)."),
        ray_address: Optional[str] = typer.Option(None, "--ray-address",
                                                  help="--executor ray: cluster address for ray.init (default: start a local one)."),
    ) -> None:
        _run(adapt, **{k: v for k, v in locals().items() if k != "adapt"})

    cmd.__doc__ = ("Test-time adaptation: start from a base library (--from STORE, --base-namespace NS), search + learn on "
                   "target tasks in a namespace of its own (the base stays untouched unless --merge), and report the lift "
                   "over its own iteration 0 at the same budget. Target test outputs are read only by the final scorer."
                   if adapt else "Run SOAR's sample -> refine -> vote -> learn loop over a task suite, feeding the skill library.")
    return cmd


def register(app: typer.Typer) -> None:
    app.command("run")(_command(False))
    app.command("adapt")(_command(True))
