"""Versioned JSONL export bundle: a header line, then one skill (with counters) per line."""
from __future__ import annotations

import json
import time
from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from .errors import BundleError
from .schema import SCHEMA_VERSION, Skill

FORMAT = "mechacoder-soar-skills"


def write_bundle(path: Path, namespace: str, skills: Iterable[Skill]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    n = 0
    with tmp.open("w", encoding="utf-8") as f:
        f.write(json.dumps({"format": FORMAT, "schema_version": SCHEMA_VERSION, "namespace": namespace,
                            "exported_at": time.time()}) + "\n")
        for s in skills:
            f.write(s.model_dump_json() + "\n")
            n += 1
    tmp.replace(path)  # atomic: a reader never sees half a bundle
    return n


def read_bundle(path: Path) -> list[Skill]:
    if not path.exists():
        raise BundleError(f"bundle {path} does not exist")
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines:
        raise BundleError(f"bundle {path} is empty")
    try:
        header = json.loads(lines[0])
    except json.JSONDecodeError as e:
        raise BundleError(f"{path}:1: header is not JSON ({e.msg})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BundleError(f"{path}:1: not a {FORMAT} bundle (header {str(header)[:80]!r})")
    if int(header.get("schema_version", 0)) > SCHEMA_VERSION:
        raise BundleError(f"{path}: schema version {header['schema_version']} is newer than this code ({SCHEMA_VERSION})")
    out = []
    for no, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        try:
            out.append(Skill.model_validate_json(line))
        except ValidationError as e:
            err = e.errors()[0]
            raise BundleError(f"{path}:{no}: {'.'.join(map(str, err['loc']))}: {err['msg']}") from None
    return out
