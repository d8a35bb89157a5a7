"""Shared CLI plumbing: opening the store with a clear message, printing JSON or rich output."""
from __future__ import annotations

import json
import sys
from typing import Any

import typer

STORE_HELP = "Skill store: a directory (embedded Chroma) or http://HOST:PORT (a Chroma server). Default: $SOAR_STORE or ~/.local/share/mechacoder-soar/store"


def open_store(store: str | None, namespace: str = "default"):
    from skills_store import StoreConfig, StoreError
    from skills_store.config import default_store_location
    from skills_store.store import SkillStore

    try:
        return SkillStore(StoreConfig(location=store or default_store_location(), namespace=namespace))
    except (StoreError, ValueError) as e:
        fail(str(e))


def fail(msg: str, code: int = 2) -> None:
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(code)


def emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")
