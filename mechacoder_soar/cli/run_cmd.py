"""`soar run` (the main job) and `soar adapt` (test-time adaptation: the same loop, target test
outputs read only by the scorer).

Every option's default is read from `RunConfig` (one source); each option's Python name is a
RunConfig field, or one of `FLAT_SEARCH_KEYS` for the embedded search settings, so `run_config`
maps a command line onto a RunConfig without a hand-written copy of each argument.
"""
from __future__ import annotations

from typing import Any, Optional

import typer

from ..config import RunConfig
from .common import STORE_HELP, emit_json, fail

_D = RunConfig()  # the flags' defaults


def run_config(adapt: bool, opts: dict[str, Any]) -> RunConfig:
    """The RunConfig a `soar run` / `soar adapt` command line stands for (`--task-ids` is
    comma-separated; `--search-time`, `--search-budget`, `--search-depth` set `RunConfig.search`)."""
    opts = {**opts, "task_ids": [t for t in (opts.get("task_ids") or "").split(",") if t], "adapt": adapt}
    return RunConfig.from_dict(opts)


def _run(adapt: bool, *, resume: bool, as_json: bool, final: bool, **opts: Any) -> None:
    from graphs.runner import RunExists, run_loop
    from mechacoder_soar.arc.protocol import ProtocolError, check_suite
    from mechacoder_soar.distributed.ray_search import RayUnavailableError  # imports no ray
    from skills_store import StoreError

    if opts["executor"] not in ("local", "ray"):
        fail(f"unknown --executor {opts['executor']!r}: choose local or ray")
    if not adapt and (opts["adapt_from"] or opts["merge"] or opts["base_namespace"] != _D.base_namespace):
        fail("--from, --base-namespace and --merge are options of `soar adapt`")
    if opts["namespace"] is None:  # soar adapt: a namespace of its own, apart from the base library
        from mechacoder_soar.adaptation import adapt_namespace

        opts["namespace"] = adapt_namespace(opts["run_dir"]) if adapt else _D.namespace
    try:
        cfg = run_config(adapt, opts)
        check_suite(cfg.suite, final=final, limit=cfg.limit, task_ids=cfg.task_ids)
    except (ProtocolError, ValueError) as e:
        fail(str(e))
    prog, on_event = _progress(adapt, as_json)
    try:
        with prog:
            metrics = run_loop(cfg, resume=resume, on_event=on_event)
    except (RunExists, StoreError, ValueError, KeyError, FileNotFoundError, RayUnavailableError) as e:
        fail(str(e).strip("'\""))
    if as_json:
        emit_json(metrics)
        return
    _print_table(metrics, cfg.run_dir)


def _progress(adapt: bool, as_json: bool):
    """A rich progress bar (quiet with --json) and the run's event handler that drives it."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

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

    return prog, on_event


def _print_table(metrics: dict, run_dir: str) -> None:
    from rich.console import Console
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
        suite: str = typer.Option(_D.suite, "--suite", help="arc1-train[:learn|:transfer] | arc2-train[:learn|:transfer] | "
                                  "arc1-eval | arc2-eval (only with --final) | arc:PATH | tb:PATH"),
        limit: Optional[int] = typer.Option(_D.limit, "--limit", min=1, help="First N tasks of the suite."),
        task_ids: Optional[str] = typer.Option(None, "--task-ids", help="Comma-separated task ids."),
        iterations: int = typer.Option(_D.iterations, "--iterations", min=1),
        budget_sample: int = typer.Option(_D.budget_sample, "--budget-sample", min=0, help="Programs sampled per task per iteration."),
        budget_refine: int = typer.Option(_D.budget_refine, "--budget-refine", min=0, help="Refinements per task per iteration."),
        sample_batch: int = typer.Option(_D.sample_batch, "--sample-batch", min=1, help="Programs asked of the proposer per call."),
        proposer: str = typer.Option(_D.proposer, "--proposer", help="library (no LLM) | local/smollm2 | any litellm model"),
        api_base: Optional[str] = typer.Option(_D.api_base, "--api-base", help="OpenAI-compatible server, e.g. a vLLM server."),
        store: Optional[str] = typer.Option(_D.store, "--store", help=STORE_HELP),
        namespace: Optional[str] = typer.Option(
            None if adapt else _D.namespace, "--namespace", show_default=False,
            help=("Namespace the run learns into (default: adapt-RUN_DIR_NAME, apart from the base library)." if adapt
                  else f"Namespace of the library (default: {_D.namespace}).")),
        adapt_from: Optional[str] = typer.Option(
            _D.adapt_from, "--from", hidden=not adapt, help="Store holding the base library (default: --store)."),
        base_namespace: str = typer.Option(_D.base_namespace, "--base-namespace", hidden=not adapt,
                                           help="Namespace of the base library; left untouched unless --merge."),
        merge: bool = typer.Option(_D.merge, "--merge", hidden=not adapt,
                                   help="At the end, add the skills learned here to the base library."),
        run_dir: str = typer.Option(_D.run_dir, "--run-dir"),
        resume: bool = typer.Option(False, "--resume", help="Continue an interrupted run in --run-dir."),
        as_json: bool = typer.Option(False, "--json", help="Print metrics.json at the end."),
        concurrency: int = typer.Option(_D.concurrency, "--concurrency", min=1, help="Tasks searched at once."),
        workers: int = typer.Option(_D.workers, "--workers", min=1, help="Sandboxed executor workers."),
        program_timeout_s: float = typer.Option(_D.program_timeout_s, "--program-timeout", min=0.01,
                                                help="Seconds one program may run on one task's inputs."),
        search_time_s: float = typer.Option(_D.search.time_limit_s, "--search-time",
                                            help="Library search: seconds per task per call (a safety cap)."),
        search_budget: int = typer.Option(_D.search.budget, "--search-budget", min=1,
                                          help="Library search: candidate programs per task per call (same on any machine)."),
        search_depth: int = typer.Option(_D.search.max_depth, "--search-depth", min=1,
                                         help="Library search: most primitives composed in one program."),
        k_skills: int = typer.Option(_D.k_skills, "--k-skills", min=0, help="Skills retrieved per task / shown per prompt."),
        rex_c: float = typer.Option(_D.rex_c, "--rex-c", min=0.0, help="REX exploration constant for choosing refinement parents."),
        early_stop_correct: int = typer.Option(_D.early_stop_correct, "--early-stop-correct", min=1,
                                               help="Stop searching a task once this many programs are train-correct."),
        learn: bool = typer.Option(_D.learn, "--learn/--no-learn", help="--no-learn: search and score only (a fixed library)."),
        seed: int = typer.Option(_D.seed, "--seed"),
        temperature: float = typer.Option(_D.temperature, "--temperature", min=0.0, help="LLM proposers: sampling temperature."),
        min_p: Optional[float] = typer.Option(_D.min_p, "--min-p", min=0.0, max=1.0, help="LLM proposers: min-p sampling cut-off."),
        max_tokens: int = typer.Option(_D.max_tokens, "--max-tokens", min=1, help="LLM proposers: tokens per completion."),
        executor: str = typer.Option(_D.executor, "--executor",
                                     help="Where per-task search runs: local | ray (needs Ray installed; see docs/distributed.md)."),
        ray_address: Optional[str] = typer.Option(_D.ray_address, "--ray-address",
                                                  help="--executor ray: cluster address for ray.init (default: start a local one)."),
        final: bool = typer.Option(False, "--final", help="The final table: an eval suite (arc1-eval, arc2-eval), all of its "
                                   "tasks; development runs refuse eval suites without it."),
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
