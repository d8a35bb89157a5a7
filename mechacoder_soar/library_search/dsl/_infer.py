"""In-process helpers for parameter inference (never rendered into programs)."""
from __future__ import annotations

from collections import Counter
from functools import wraps
from typing import Callable

import numpy as np

from ..registry import Pairs, array_key

_MISSING = object()


def pair_memo(fn: Callable) -> Callable:
    """Keep `fn(pairs, *args)` in the pairs' memo where they are one search node's `NodePairs`
    (every primitive's inference on a node asks for the same background and colours); a list
    result is handed out as a copy, so a caller may change its own."""
    @wraps(fn)
    def memoised(pairs: Pairs, *args):
        memo = getattr(pairs, "memo", None)
        if memo is None:
            return fn(pairs, *args)
        key = (fn, *args)
        hit = memo.get(key, _MISSING)
        if hit is _MISSING:
            hit = memo[key] = fn(pairs, *args)
        return hit.copy() if type(hit) is list else hit
    return memoised


def same_shapes(pairs: Pairs) -> bool:
    return all(a.shape == b.shape for a, b in pairs)


_BG_CACHE: dict[tuple, int] = {}


@pair_memo
def background(pairs: Pairs) -> int:
    """0 unless another colour clearly dominates the inputs (ARC's background is 0 in most tasks).
    Memoised on the input grids: inference asks this of the same intermediate grids repeatedly."""
    if not pairs:
        return 0
    key = tuple([array_key(np.asarray(a)) for a, _ in pairs])
    hit = _BG_CACHE.get(key)
    if hit is None:
        if len(_BG_CACHE) > 2048:
            _BG_CACHE.clear()
        hit = _BG_CACHE[key] = _background(pairs)
    return hit


def _background(pairs: Pairs) -> int:
    # colours clamped to 0..9 by minimum/maximum: numpy's clip checks the dtype's limits on every call
    # and costs twice as much on grids this small (the DSL's counts clamp the same way)
    cells = np.concatenate([np.asarray(a).ravel() for a, _ in pairs])
    cnt = np.bincount(np.minimum(np.maximum(cells, 0), 9), minlength=10)
    top = int(np.argmax(cnt))
    return 0 if cnt[0] > 0 and cnt[0] * 2 >= cnt[top] else top


@pair_memo
def bg_options(pairs: Pairs) -> list[int]:
    b = background(pairs)
    return [b] if b == 0 else [b, 0]


def _small_counts(arrays) -> np.ndarray | None:
    """Per array, its count of each colour 0..9 (one row each); None unless every array is int64
    with values in 0..9 (then the callers count the general way). One bincount over all of them:
    array i's colour c is counted at 10 * i + c."""
    flat = [np.asarray(a).ravel() for a in arrays]
    if any(f.dtype != np.int64 for f in flat):
        return None
    n = len(flat)
    cat = np.concatenate(flat) if n else np.zeros(0, dtype=np.int64)
    if cat.size and (cat.min() < 0 or cat.max() > 9):
        return None
    rows = np.repeat(np.arange(0, 10 * n, 10), [f.size for f in flat])
    return np.bincount(cat + rows, minlength=10 * n).reshape(n, 10)


def _most_common(counts: np.ndarray, skip: int | None = None) -> list[int]:
    """Colours present in `counts` (rows per array) by total count, most first; ties in order of
    first appearance (array by array, ascending within one) -- what a Counter fed each array's
    np.unique in turn gives with most_common()."""
    total = counts.sum(axis=0)
    first = np.argmax(counts > 0, axis=0)
    keys = [(-int(total[v]), int(first[v]), v) for v in range(10) if total[v] > 0 and v != skip]
    return [v for _, _, v in sorted(keys)]


@pair_memo
def output_colours(pairs: Pairs, bg: int) -> list[int]:
    """Non-background colours seen in outputs, most frequent first."""
    counts = _small_counts(b for _, b in pairs)
    if counts is not None:
        return _most_common(counts, bg)
    cnt: Counter = Counter()
    for _, b in pairs:
        vals, counts = np.unique(b, return_counts=True)
        for v, c in zip(vals.tolist(), counts.tolist()):
            if v != bg:
                cnt[v] += c
    return [c for c, _ in cnt.most_common()]


@pair_memo
def new_colours(pairs: Pairs, bg: int) -> list[int]:
    """Colours written by the transform onto cells that change (same-shape pairs), most frequent first;
    falls back to output colours."""
    if same_shapes(pairs):
        counts = _small_counts(b[a != b] for a, b in pairs)
        if counts is not None:
            found = _most_common(counts)
            return found or output_colours(pairs, bg)
    cnt: Counter = Counter()
    if same_shapes(pairs):
        for a, b in pairs:
            diff = a != b
            vals, counts = np.unique(b[diff], return_counts=True)
            cnt.update(dict(zip(vals.tolist(), counts.tolist())))
    if not cnt:
        return output_colours(pairs, bg)
    return [int(c) for c, _ in cnt.most_common()]


@pair_memo
def input_colours(pairs: Pairs) -> list[int]:
    counts = _small_counts(a for a, _ in pairs)
    if counts is not None:
        return _most_common(counts)
    cnt: Counter = Counter()
    for a, _ in pairs:
        vals, counts = np.unique(a, return_counts=True)
        cnt.update(dict(zip(vals.tolist(), counts.tolist())))
    return [int(c) for c, _ in cnt.most_common()]


@pair_memo
def vanishing_colours(pairs: Pairs) -> list[int]:
    """Colours present in every input but absent from every output (noise / mask colours)."""
    counts = _small_counts([a for a, _ in pairs] + [b for _, b in pairs])
    if counts is not None and len(pairs):   # colours 0..9: one count for all grids
        n = len(pairs)
        gone = (counts[:n] > 0) & (counts[n:] == 0)
        return np.flatnonzero(gone.all(axis=0)).tolist()
    common = None
    for a, b in pairs:
        s = set(np.unique(a).tolist()) - set(np.unique(b).tolist())
        common = s if common is None else common & s
    return sorted(common or [])


