"""`soar report RUN_DIR`: a self-contained HTML page (figures embedded) about one run."""
from __future__ import annotations

from typing import Optional

import typer

from .common import STORE_HELP, fail


def report(
    run_dir: str = typer.Argument(..., help="Run directory written by `soar run` / `soar adapt`."),
    store: Optional[str] = typer.Option(None, "--store", help=STORE_HELP + " Omit to skip the EMA and library-diversity figures."),
    namespace: Optional[str] = typer.Option(None, "--namespace", help="Store namespace (default: the run's)."),
    out: Optional[str] = typer.Option(None, "--out", help="HTML file to write (default RUN_DIR/report.html)."),
    pool: list[str] = typer.Option([], "--pool", help="Another run directory whose attempts are pooled in (repeatable)."),
    collapse_floor: float = typer.Option(0.2, "--collapse-floor", help="Diversity alert: distinct outputs per attempt below this."),
    collapse_drop: float = typer.Option(0.5, "--collapse-drop", help="Diversity alert: relative drop from the first iteration."),
) -> None:
    """Write an HTML report: solve rate and pass@2 per iteration, library growth, EMAs, diversity,
    pooling and oracle gap, stepping stones, and the winning program of every task."""
    import contextlib

    from ..diversity import DiversityConfig
    from ..report import ReportConfig, RunDirError, build_report, load_run

    try:
        run = load_run(run_dir)
        cfg = ReportConfig(run_dir=run_dir, out=out, pool_runs=list(pool),
                           diversity=DiversityConfig(floor=collapse_floor, drop=collapse_drop))
        with contextlib.ExitStack() as stack:
            lib = None
            if store:
                from .common import open_store

                lib = stack.enter_context(open_store(store, namespace or run.config.get("namespace", "default")))
            path = build_report(cfg, lib)
    except (RunDirError, ValueError) as e:
        fail(str(e))
    typer.echo(f"report: {path}  (numbers in {path.with_suffix('.json')})")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
