"""Read a finished (or partial) run directory back: config, per-iteration metrics, every attempt.

attempts.jsonl holds SOAR-format records (`Attempt.to_soar_record`); this turns them back into
`Attempt`s so the vote, pooling and diversity code work on the same objects the loop used.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..domain import Attempt

_SOAR_ONLY = ("predicted_train_output", "predicted_test_output", "correct_train_input", "correct_test_input")


class RunDirError(ValueError):
    """The path is not a run directory, or one of its files is malformed; the message names which."""


def attempt_from_record(rec: dict[str, Any]) -> Attempt:
    d = {k: v for k, v in rec.items() if k not in _SOAR_ONLY and k != "model"}
    d["proposer"] = rec.get("model", rec.get("proposer", ""))
    return Attempt.model_validate(d)


def read_attempts(path: Path) -> list[Attempt]:
    out = []
    if not path.exists():
        return out
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append(attempt_from_record(json.loads(line)))
        except ValueError as e:
            raise RunDirError(f"{path}:{n}: not an attempt record: {str(e).splitlines()[0]}") from None
    return out


@dataclass
class RunData:
    path: Path
    config: dict[str, Any]
    iterations: list[dict[str, Any]]          # metrics.json rows, by iteration
    attempts: list[Attempt] = field(default_factory=list)
    curriculum: dict[str, Any] | None = None  # curriculum.json when `soar curriculum` ran
    adapt: dict[str, Any] | None = None       # metrics.json's `adapt` summary of a `soar adapt` run

    @property
    def iteration_ids(self) -> list[int]:
        its = {r["iteration"] for r in self.iterations} | {a.iteration for a in self.attempts}
        return sorted(its)

    def by_task(self) -> dict[str, list[Attempt]]:
        out: dict[str, list[Attempt]] = {}
        for a in self.attempts:
            out.setdefault(a.task_id, []).append(a)
        return out


def load_run(path: str | Path) -> RunData:
    p = Path(path)
    if not p.is_dir():
        raise RunDirError(f"run directory {p} does not exist")
    if not (p / "config.json").exists() and not (p / "metrics.json").exists():
        raise RunDirError(f"{p} is not a run directory: no config.json or metrics.json (run `soar run --run-dir {p}` first)")

    def _json(name: str, default: Any) -> Any:
        f = p / name
        if not f.exists():
            return default
        try:
            return json.loads(f.read_text())
        except ValueError as e:
            raise RunDirError(f"{f}: malformed JSON: {e}") from None

    metrics = _json("metrics.json", {"iterations": []})
    return RunData(path=p, config=_json("config.json", {}), iterations=sorted(metrics.get("iterations", []), key=lambda r: r["iteration"]),
                   attempts=read_attempts(p / "attempts.jsonl"), curriculum=_json("curriculum.json", None),
                   adapt=metrics.get("adapt"))
