"""`soar skills ...`: add, search, show, stats, export, import."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from .common import STORE_HELP, emit_json, fail, open_store

app = typer.Typer(help="Inspect and edit the skill library.", no_args_is_help=True)

StoreOpt = typer.Option(None, "--store", help=STORE_HELP)
NsOpt = typer.Option("default", "--namespace", "-n", help="Library namespace.")
JsonOpt = typer.Option(False, "--json", help="Machine-readable output.")


def _read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        fail(f"{path} does not exist")
    rows = []
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            fail(f"{path}:{no}: not valid JSON ({e.msg}); nothing was added")
        if not isinstance(obj, dict):
            fail(f"{path}:{no}: expected a JSON object per line; nothing was added")
        rows.append(obj)
    return rows


@app.command("add")
def add(file: Path = typer.Argument(..., help="JSONL file, one skill per line (code, description, kind, source, ...)."),
        store: Optional[str] = StoreOpt, namespace: str = NsOpt, as_json: bool = JsonOpt) -> None:
    """Add skills from a JSONL file. The whole file is validated before anything is written."""
    from pydantic import ValidationError

    from skills_store import InvalidInputError, SkillIn

    rows = _read_jsonl(file)
    for no, r in enumerate(rows, start=1):
        try:
            SkillIn.model_validate(r)
        except ValidationError as e:
            err = e.errors()[0]
            fail(f"{file}: record {no}: field '{'.'.join(map(str, err['loc']))}': {err['msg']}; nothing was added")
    with open_store(store, namespace) as s:
        try:
            res = s.add(rows)
        except InvalidInputError as e:
            fail(f"{e}; nothing was added")
    if as_json:
        emit_json(res.model_dump())
    else:
        typer.echo(f"added {len(res.added)}, duplicates {len(res.duplicates)}")


@app.command("search")
def search(text: str = typer.Argument(..., help="What the skill should do (task description or failure)."),
           mode: str = typer.Option("sample", "--mode", help="sample | refine: which success rate ranks."),
           k: int = typer.Option(5, "--k", min=1, max=200), kind: Optional[str] = typer.Option(None, "--kind"),
           store: Optional[str] = StoreOpt, namespace: str = NsOpt, as_json: bool = JsonOpt) -> None:
    """Retrieve the top-k skills for TEXT."""
    if mode not in ("sample", "refine"):
        fail(f"--mode must be 'sample' or 'refine', got {mode!r}")
    with open_store(store, namespace) as s:
        hits = s.retrieve(text, mode, k, kind=kind)  # type: ignore[arg-type]
    if as_json:
        emit_json([h.model_dump() for h in hits])
        return
    from rich.console import Console
    from rich.table import Table

    t = Table("id", "source", "score", "sim", "ema(s)", "ema(r)", "description")
    for h in hits:
        sk = h.skill
        t.add_row(sk.id, sk.source, f"{h.score:.3f}", f"{h.similarity:.3f}",
                  f"{sk.sampling_ema:.2f}/{sk.sampling_uses}", f"{sk.refine_ema:.2f}/{sk.refine_uses}",
                  sk.description[:80])
    Console().print(t)


@app.command("show")
def show(skill_id: str, store: Optional[str] = StoreOpt, namespace: str = NsOpt, as_json: bool = JsonOpt) -> None:
    """Show one skill with its counters and history."""
    from skills_store import SkillNotFoundError

    with open_store(store, namespace) as s:
        try:
            sk = s.get(skill_id)
            hist = s.history(skill_id)
        except SkillNotFoundError as e:
            fail(str(e))
    if as_json:
        emit_json({"skill": sk.model_dump(), "history": [h.model_dump() for h in hist]})
        return
    typer.echo(f"{sk.id}  [{sk.source}/{sk.kind}]  sampling {sk.sampling_ema:.3f} ({sk.sampling_uses} uses)  "
               f"refine {sk.refine_ema:.3f} ({sk.refine_uses} uses)")
    if sk.superseded_by:
        typer.echo(f"superseded by {sk.superseded_by}")
    typer.echo(sk.description)
    typer.echo("---")
    typer.echo(sk.code)
    typer.echo(f"--- {len(hist)} events")


@app.command("stats")
def stats(store: Optional[str] = StoreOpt, namespace: str = NsOpt, as_json: bool = JsonOpt) -> None:
    """Counts by source and kind, uses, mean EMAs."""
    with open_store(store, namespace) as s:
        st = s.stats()
    if as_json:
        emit_json(st)
    else:
        for k, v in st.items():
            typer.echo(f"{k}: {v}")


@app.command("export")
def export(out: Path, store: Optional[str] = StoreOpt, namespace: str = NsOpt, as_json: bool = JsonOpt) -> None:
    """Write a versioned JSONL bundle of the library (skills with counters)."""
    with open_store(store, namespace) as s:
        n = s.export(out)
    emit_json({"exported": n, "path": str(out)}) if as_json else typer.echo(f"exported {n} skills to {out}")


@app.command("import")
def import_(bundle: Path, store: Optional[str] = StoreOpt, namespace: str = NsOpt, as_json: bool = JsonOpt) -> None:
    """Import a bundle written by `export` (validated fully before anything is written)."""
    from skills_store import BundleError

    with open_store(store, namespace) as s:
        try:
            res = s.import_(bundle)
        except BundleError as e:
            fail(f"{e}; nothing was imported")
    emit_json(res.model_dump()) if as_json else typer.echo(f"imported {len(res.added)}, duplicates {len(res.duplicates)}")
