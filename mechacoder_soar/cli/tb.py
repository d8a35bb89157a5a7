"""`soar tb ...`: Terminal-Bench tasks without Docker (bubblewrap sandbox) or with it.

    soar tb check PATH [--task ID] [--json]     reference must resolve, empty attempt must not
    soar tb run PATH --task ID SCRIPT.sh [--json]
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .common import emit_json, fail

app = typer.Typer(help="Terminal-Bench tasks: check a suite, run an attempt.", no_args_is_help=True)

BackendOpt = typer.Option("auto", "--backend", help="auto (Docker if a daemon answers, else local), local or docker.")


def _load(path: Path, task_id: str | None):
    from mechacoder_soar.terminal import TBTaskError, load_tb_suite

    try:
        tasks = load_tb_suite(path)
    except TBTaskError as e:
        fail(str(e))
    if task_id:
        tasks = [t for t in tasks if t.id == task_id]
        if not tasks:
            fail(f"no task {task_id!r} under {path}")
    return tasks


def _backend(name: str):
    from mechacoder_soar.terminal import pick_backend

    try:
        return pick_backend(name)
    except (RuntimeError, ValueError) as e:
        fail(str(e))


@app.command("check")
def check(path: Path = typer.Argument(..., help="A suite folder (task folders inside) or one task folder."),
          task: Optional[str] = typer.Option(None, "--task", help="Only this task id."),
          backend: str = BackendOpt,
          as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Run each task's reference solution (must resolve) and an empty attempt (must not). A task
    this backend cannot run (a service, a VM, a GPU, the network...) or cannot read is reported
    as unsupported with the reason; only failed tasks make the exit status 1."""
    from mechacoder_soar.terminal import TBTaskError
    from mechacoder_soar.terminal.check import check_suite
    from mechacoder_soar.terminal.loader import scan_tb_suite

    try:
        tasks, skipped = scan_tb_suite(path)
    except TBTaskError as e:
        fail(str(e))
    if task:
        tasks, skipped = [t for t in tasks if t.id == task], [s for s in skipped if s.id == task]
        if not tasks and not skipped:
            fail(f"no task {task!r} under {path}")
    if not tasks:  # nothing to check at all: the reasons are the answer
        fail("\n".join(f"{s.id}: {s.reason}" for s in skipped))
    b = _backend(backend)
    rows = check_suite(tasks, b, skipped)
    counts = {s: sum(1 for r in rows if r.status == s) for s in ("ok", "failed", "unsupported")}
    if as_json:
        emit_json({"backend": b.name, "ok": counts["failed"] == 0, "counts": counts,
                   "tasks": [r.to_dict() for r in rows]})
    else:
        _print_rows(rows, b.name, counts)
    if counts["failed"]:
        raise typer.Exit(1)


def _print_rows(rows, backend_name: str, counts: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"soar tb check ({backend_name} backend)")
    for col in ("task", "reference resolved", "empty resolved", "tests", "wall s", "result"):
        table.add_column(col)
    for r in rows:
        result = {"ok": "ok", "failed": f"FAIL: {r.error}", "unsupported": f"UNSUPPORTED: {r.unsupported}"}[r.status]
        ref = ("yes" if r.reference_resolved else "NO") if r.ran else "-"
        empty = ("YES" if r.empty_resolved else "no") if r.ran else "-"
        table.add_row(r.task_id, ref, empty, r.reference_tests, f"{r.wall_s:.1f}", result)
    Console(width=160).print(table)
    for r in rows:
        for s in r.unhonoured_steps:
            typer.echo(f"{r.task_id}: not honoured: {s}")
    typer.echo(f"{counts['ok']} ok, {counts['failed']} failed, {counts['unsupported']} unsupported "
               f"(of {len(rows)})")


@app.command("run")
def run(path: Path = typer.Argument(..., help="A suite folder or one task folder."),
        script: Path = typer.Argument(..., help="The attempt: a shell script run in the task's WORKDIR."),
        task: Optional[str] = typer.Option(None, "--task", help="Task id (needed when PATH holds several)."),
        timeout: Optional[float] = typer.Option(None, "--timeout", help="Attempt time limit in seconds."),
        backend: str = BackendOpt,
        as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Run one attempt script against one task and print the verdict."""
    from mechacoder_soar.terminal import run_trial, summarise_end_state

    if not script.is_file():
        fail(f"{script}: no such script")
    tasks = _load(path, task)
    if len(tasks) > 1:
        fail(f"{path} holds {len(tasks)} tasks: choose one with --task")
    res = run_trial(tasks[0], script.read_text(encoding="utf-8"), backend=_backend(backend), timeout_s=timeout)
    if as_json:
        emit_json(res.to_dict())
    else:
        typer.echo(f"task {res.task_id}: {'RESOLVED' if res.resolved else 'not resolved'} "
                   f"({res.tests_passed}/{res.tests_total} tests passed, {res.wall_s:.1f}s, {res.backend} backend)")
        for name, status in res.test_results.items():
            typer.echo(f"  {status:6} {name}")
        if res.error:
            typer.echo(f"error: {res.error}")
        for s in res.unhonoured_steps:
            typer.echo(f"not honoured: {s}")
        typer.echo(summarise_end_state(res.end_state))
    raise typer.Exit(0 if res.resolved else 1)
