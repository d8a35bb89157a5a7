"""The primitive library and programs built from it.

A program is a list of steps `(primitive name, params)`. `run_steps` runs one in-process (trusted:
the primitives are our code); `render_program` turns it into ONE self-contained module defining
`transform(grid)` that needs nothing but numpy, for the sandboxed executor and for storing a solved
composition as a single new skill.
"""
from __future__ import annotations

import json
from typing import Any, Sequence

import numpy as np

from . import dsl  # noqa: F401  (registers the seed primitives)
from .registry import CATEGORIES, PRIMITIVES, Primitive

Step = tuple[str, dict]
Grid = list[list[int]]

__all__ = ["CATEGORIES", "PRIMITIVES", "Primitive", "Step", "Grid", "render_program", "run_steps",
           "to_array", "to_grid", "validate_steps"]


def to_array(grid: Any) -> np.ndarray:
    a = np.array(grid, dtype=np.int64)
    if a.ndim != 2 or a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(f"a grid must be a non-empty 2-D list of ints, got shape {a.shape}")
    return a


def to_grid(a: Any) -> Grid:
    return np.asarray(a).astype(int).tolist()


def validate_steps(steps: Sequence[Step]) -> list[Step]:
    """Check names exist and params are JSON-serialisable; returns the steps as (name, dict) tuples."""
    out: list[Step] = []
    for i, step in enumerate(steps):
        if not isinstance(step, (tuple, list)) or len(step) != 2:
            raise ValueError(f"step {i} must be (name, params), got {step!r}")
        name, params = step
        if name not in PRIMITIVES:
            raise ValueError(f"step {i}: unknown primitive {name!r}")
        if not isinstance(params, dict):
            raise ValueError(f"step {i} ({name}): params must be a dict, got {type(params).__name__}")
        try:
            json.dumps(params)
        except TypeError as e:
            raise ValueError(f"step {i} ({name}): params are not JSON-serialisable: {e}") from None
        out.append((name, params))
    return out


def valid_result(a: Any) -> np.ndarray | None:
    """`a` as an array if it is a 1..30-sided 2-D grid of integers, else None."""
    a = np.asarray(a)
    if a.ndim != 2 or a.shape[0] == 0 or a.shape[1] == 0 or a.shape[0] > 30 or a.shape[1] > 30:
        return None
    if a.dtype.kind not in "iub":
        return None
    return a


def apply_step(step: Step, grid: np.ndarray) -> np.ndarray | None:
    """One step in-process; None if it raises or yields something that is not a 1..30-sided grid."""
    name, params = step
    try:
        return valid_result(PRIMITIVES[name].fn(grid, **params))
    except Exception:
        return None


def run_steps(steps: Sequence[Step], grid: Any) -> Grid | None:
    """Apply the steps in order to `grid` (list of lists or array); None when any step fails."""
    steps = validate_steps(steps)
    try:
        a = to_array(grid)
    except ValueError:
        return None
    for step in steps:
        a = apply_step(step, a)
        if a is None:
            return None
    return to_grid(a)


def render_program(steps: Sequence[Step]) -> str:
    """One standalone module: `import numpy as np`, each used primitive's source once, and
    `transform(grid)` applying the steps and returning list[list[int]]."""
    steps = validate_steps(steps)
    parts = ["import numpy as np", ""]
    seen: set[str] = set()
    for name, _ in steps:
        if name not in seen:
            seen.add(name)
            parts += ["", PRIMITIVES[name].source.rstrip(), ""]
    body = ["", "def transform(grid):", "    g = np.array(grid, dtype=np.int64)"]
    for name, params in steps:
        args = "".join(f", {k}={v!r}" for k, v in params.items())
        body.append(f"    g = {name}(g{args})")
    body.append("    return np.asarray(g).astype(int).tolist()")
    return "\n".join(parts + body) + "\n"
