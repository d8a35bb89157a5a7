"""`soar curriculum`: grounded stepping stones for the tasks a run left unsolved."""
from __future__ import annotations

from typing import Optional

import typer

from ..config import STUDENT_SEARCH, CurriculumConfig
from .common import STORE_HELP, emit_json, fail

# The flags' defaults: the config class's own (read off the class, so no instance, whose student
# config loads the search engine, is built at import).
_D = CurriculumConfig

def curriculum(
    run_dir: str = typer.Option(..., "--run-dir", help="Run directory written by `soar run` / `soar adapt`."),
    store: Optional[str] = typer.Option(None, "--store", help=STORE_HELP),
    namespace: Optional[str] = typer.Option(None, "--namespace", help="Store namespace (default: the run's)."),
    holdout: int = typer.Option(_D.holdout, "--holdout", min=1, help="Hard tasks held out to measure the student on."),
    holdout_ids: Optional[str] = typer.Option(None, "--holdout-ids", help="Comma-separated held-out task ids (overrides --holdout)."),
    repeats: int = typer.Option(_D.repeats, "--repeats", min=1, help="Student runs averaged per measurement."),
    search_time: float = typer.Option(STUDENT_SEARCH.time_limit_s, "--search-time", help="Student search: seconds per task."),
    search_budget: int = typer.Option(STUDENT_SEARCH.budget, "--search-budget", min=1, help="Student search: programs per task."),
    max_depth: int = typer.Option(STUDENT_SEARCH.max_depth, "--max-depth", min=1,
                                  help="Student search: most primitives/skills composed."),
    generators: str = typer.Option(",".join(_D.generators), "--generators", help="Stepping-stone generators to use."),
    teacher: Optional[str] = typer.Option(None, "--teacher", help="A litellm model string: an LLM that writes stepping-stone programs."),
    api_base: Optional[str] = typer.Option(None, "--api-base"),
    min_gain: float = typer.Option(_D.min_gain, "--min-gain", help="Admit a batch only if its mean held-out gain exceeds this."),
    seed: int = typer.Option(_D.seed, "--seed"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Measure only; do not add admitted batches to the store."),
    as_json: bool = typer.Option(False, "--json", help="Print curriculum.json."),
) -> None:
    """Generate stepping-stone tasks for the run's fail@K tasks, admit a batch to the library only if it
    raises the student's solve rate on held-out hard tasks; writes RUN_DIR/curriculum.json."""
    import contextlib

    from dataclasses import replace

    from ..arc.protocol import is_final_suite
    from ..curriculum import CurriculumError, run_curriculum_for_run
    from ..report.rundata import RunDirError, load_run
    from .common import open_store

    try:
        run = load_run(run_dir)
        if is_final_suite(run.config.get("suite", "")):
            raise CurriculumError(f"{run_dir} ran on {run.config['suite']}, which is held out for the final table: "
                                  "stepping stones are built and measured on development runs (arc1-train:learn, ...)")
        search = replace(STUDENT_SEARCH, time_limit_s=search_time, budget=search_budget, max_depth=max_depth)
        student = replace(CurriculumConfig().student, search=search)
        cfg = CurriculumConfig(holdout=holdout, holdout_ids=tuple(t for t in (holdout_ids or "").split(",") if t),
                               repeats=repeats, student=student,
                               generators=tuple(g.strip() for g in generators.split(",") if g.strip()),
                               min_gain=min_gain, seed=seed, dry_run=dry_run)
    except (RunDirError, ValueError) as e:
        fail(str(e))
    with contextlib.ExitStack() as stack:
        lib = stack.enter_context(open_store(store or run.config.get("store"), namespace or run.config.get("namespace", "default")))
        tch = _teacher(teacher, api_base, stack) if teacher else None
        try:
            out = run_curriculum_for_run(run_dir, lib, cfg, tch, None if as_json else _progress)
        except (CurriculumError, RunDirError, ValueError) as e:
            fail(str(e))
    if as_json:
        emit_json(out)
        return
    s = out["summary"]
    typer.echo(f"admitted {s['admitted']}/{s['batches']} batches ({s['stones_admitted']} stones, {s['added_to_library']} new skills); "
               f"held-out solve rate {s['baseline_rate']:.3f} -> {s['grounded_rate']:.3f} grounded, "
               f"{s['ungrounded_rate']:.3f} admitting everything; {run_dir}/curriculum.json")


def _teacher(model: str, api_base: Optional[str], stack):
    """An LLM teacher whose programs run in a sandboxed executor opened on `stack`."""
    from ..curriculum import ProposerTeacher
    from ..environments.arc import ArcEnvironment
    from ..executor import ExecConfig, Executor
    from ..proposers.llm import LLMConfig, LLMProposer

    ex = stack.enter_context(Executor(ExecConfig(workers=2)))
    return ProposerTeacher(LLMProposer(LLMConfig(model=model, api_base=api_base)), ArcEnvironment(ex))


def _progress(kind: str, d: dict) -> None:
    if kind == "start":
        typer.echo(f"{d['hard']} tasks at fail@K; held out {', '.join(d['holdout'])}; {d['batches']} candidate batches", err=True)
    elif kind == "batch":
        typer.echo(f"  {d['name']:<32} stones {d['n_stones']:>2}  solve {d['before']:.2f} -> {d['after']:.2f}  "
                   f"gain {d['gain']:+.3f}  {'ADMITTED' if d['admitted'] else 'rejected'}", err=True)


def register(app: typer.Typer) -> None:
    app.command("curriculum")(curriculum)
