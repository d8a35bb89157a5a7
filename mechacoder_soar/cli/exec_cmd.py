"""`soar exec`: run one program on one ARC task in the sandbox and report how it scores.

Needs no skill store. Heavy/slow things (the sandbox pool, the ARC data) load inside the command.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    @app.command("exec")
    def exec_command(
        program: Path = typer.Argument(..., help="Python file defining transform(grid) -> grid."),
        suite: str = typer.Option("arc1-train", "--suite", help="arc1-train[:learn|:transfer] | arc2-train[:learn|:transfer] | arc:PATH "
                                                                "(eval tasks are held out for the final table)"),
        task: str = typer.Option(..., "--task", help="Task id within the suite."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of text."),
        timeout: float = typer.Option(2.0, "--timeout", help="Wall-clock seconds per program."),
        memory_mb: int = typer.Option(1024, "--memory-mb", help="Memory a program may use, MB."),
        sandbox: str = typer.Option("auto", "--sandbox", help="auto | bubblewrap | rlimits"),
    ) -> None:
        """Run PROGRAM on every train and test input of a task; print per-pair correctness,
        train accuracy, test correctness and errors."""
        from ..arc import ArcDataError, load_task
        from ..arc.protocol import ProtocolError, check_task
        from ..arc.evaluate import evaluate_programs
        from ..executor import ExecConfig, Executor, SandboxUnavailable

        try:
            code = program.read_text()
        except OSError as e:
            raise typer.BadParameter(f"cannot read program {program}: {e}", param_hint="PROGRAM") from None
        try:
            check_task(suite, task)
            t = load_task(suite, task)
        except (ArcDataError, ProtocolError) as e:
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(2) from None
        try:
            cfg = ExecConfig(workers=1, timeout_s=timeout, memory_mb=memory_mb, sandbox=sandbox)  # type: ignore[arg-type]
        except ValueError as e:
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(2) from None
        try:
            with Executor(cfg) as ex:
                (res, score), = evaluate_programs(ex, t, [code])
                isolation = ex.isolation
        except SandboxUnavailable as e:
            typer.echo(f"error: sandbox unavailable: {e}", err=True)
            raise typer.Exit(2) from None

        report = _report(suite, t.id, len(t.train), res, score, isolation)
        if as_json:
            typer.echo(json.dumps(report))
        else:
            _print(report)


def _report(suite: str, task_id: str, n_train: int, res, score, isolation: str) -> dict:
    """One program's result on one task as `soar exec --json` prints it; errors say where."""
    errors = []
    if res.error:
        errors.append({"where": "program", "kind": res.error_kind, "message": res.error})
    for i, e in enumerate(res.errors):
        if e:
            where = f"train[{i}]" if i < n_train else f"test[{i - n_train}]"
            errors.append({"where": where, "kind": "input", "message": e})
    return {
        "suite": suite,
        "task_id": task_id,
        "train_correct": score.train_correct,
        "train_accuracy": score.train_accuracy,
        "test_correct": score.test_correct,
        "pixel_accuracy": score.pixel_accuracy,
        "error": res.error,
        "error_kind": res.error_kind,
        "errors": errors,
        "runtime_s": res.runtime_s,
        "isolation": isolation,
    }


def _print(r: dict) -> None:
    typer.echo(f"task {r['suite']}/{r['task_id']}  (sandbox: {r['isolation']})")
    for i, ok in enumerate(r["train_correct"]):
        typer.echo(f"  train[{i}]: {'correct' if ok else 'wrong'}")
    typer.echo(f"  train accuracy: {r['train_accuracy']:.3f}  (pixel accuracy {r['pixel_accuracy']:.3f})")
    if r["test_correct"] is not None:
        for i, ok in enumerate(r["test_correct"]):
            typer.echo(f"  test[{i}]: {'correct' if ok else 'wrong'}")
    for e in r["errors"]:
        typer.echo(f"  error ({e['where']}, {e['kind']}): {e['message']}")
