"""Output validation, shared with the parent, which re-validates: it never trusts the sandbox."""
from __future__ import annotations

import json
import sys

MAX_SIDE = 30


def check_arc_grid(obj) -> str | None:
    """None if `obj` is a rectangular list of lists of ints 0-9 within 30x30, else the reason."""
    if type(obj) is not list or not obj:
        return "output is not a non-empty list of rows"
    if len(obj) > MAX_SIDE:
        return f"output has {len(obj)} rows (max {MAX_SIDE})"
    width = None
    for row in obj:
        if type(row) is not list or not row:
            return "output row is not a non-empty list"
        if width is None:
            width = len(row)
            if width > MAX_SIDE:
                return f"output has {width} columns (max {MAX_SIDE})"
        elif len(row) != width:
            return "output is not rectangular"
        for v in row:
            if type(v) is not int or v < 0 or v > 9:
                return f"output cell {v!r} is not an int 0-9"
    return None


def normalize_arc(obj):
    """Best-effort conversion of what a program returned into a grid (numpy arrays, tuples, numpy
    ints), then validation. Returns (grid, None) or (None, reason)."""
    if obj is None:
        return None, "output is None (transform returned nothing)"
    list_reason = None
    if type(obj) is list:
        list_reason = check_arc_grid(obj)
        if list_reason is None:
            return obj, None
    np = sys.modules.get("numpy")
    if np is not None:
        try:
            arr = np.asarray(obj)
        except Exception as e:  # ragged etc.
            return None, list_reason or f"output is not a grid ({type(e).__name__})"
        if arr.ndim != 2:
            return None, list_reason or f"output has {arr.ndim} dimensions, expected 2"
        if arr.dtype.kind not in "iu":
            if arr.dtype.kind == "f" and arr.size and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
                arr = arr.astype(np.int64)
            elif arr.dtype.kind == "b":
                return None, "output dtype bool is not integer"
            else:
                return None, list_reason or f"output dtype {arr.dtype} is not integer"
        obj = arr.tolist()
    elif isinstance(obj, tuple):
        obj = [list(r) if isinstance(r, (list, tuple)) else r for r in obj]
    reason = check_arc_grid(obj)
    return (obj, None) if reason is None else (None, reason)


def normalize_json(obj, _depth=0):
    """Any JSON-able value; numpy arrays/scalars are converted. Returns (value, None) or (None, why)."""
    np = sys.modules.get("numpy")
    if np is not None:
        if isinstance(obj, np.ndarray):
            obj = obj.tolist()
        elif isinstance(obj, np.generic):
            obj = obj.item()
    try:
        # round-trip so what we return is exactly what the parent will see
        return json.loads(json.dumps(obj, default=_np_default, allow_nan=False)), None
    except (TypeError, ValueError, RecursionError) as e:
        return None, f"output is not JSON-serialisable: {e}"[:300]


def _np_default(o):
    np = sys.modules.get("numpy")
    if np is not None:
        if isinstance(o, np.ndarray):
            return o.tolist()
        if isinstance(o, np.generic):
            return o.item()
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    raise TypeError(f"{type(o).__name__} is not JSON-serialisable")
