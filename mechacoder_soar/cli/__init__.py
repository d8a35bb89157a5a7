"""`soar` command line. Every heavy import (torch, sentence-transformers, chromadb, litellm)
happens inside the command that needs it, so `soar --help` answers in well under a second.

Each command group lives in its own module and registers itself on `app` here.
"""
from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="soar",
    help="mechacoder-soar: a self-improving skill-library memory (SOAR without gradients).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# (module, attribute, group name or None for top-level commands)
_GROUPS = [
    ("skills", "app", "skills"),
    ("exec_cmd", "register", None),
    ("run_cmd", "register", None),
    ("serve", "app", "serve"),
    ("tb", "app", "tb"),
    ("distill", "app", "distill"),
    ("report", "register", None),
    ("curriculum", "register", None),
]

for _mod, _attr, _name in _GROUPS:
    obj = getattr(importlib.import_module(f"{__name__}.{_mod}"), _attr)
    if _name:
        app.add_typer(obj, name=_name)
    else:
        obj(app)


def main() -> None:
    app()
