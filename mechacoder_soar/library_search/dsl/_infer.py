"""In-process helpers for parameter inference (never rendered into programs)."""
from __future__ import annotations

from collections import Counter

import numpy as np

from ..registry import Pairs


def same_shapes(pairs: Pairs) -> bool:
    return all(a.shape == b.shape for a, b in pairs)


_BG_CACHE: dict[tuple, int] = {}


def background(pairs: Pairs) -> int:
    """0 unless another colour clearly dominates the inputs (ARC's background is 0 in most tasks).
    Memoised on the input grids: inference asks this of the same intermediate grids repeatedly."""
    if not pairs:
        return 0
    key = tuple((np.asarray(a).shape, np.asarray(a).tobytes()) for a, _ in pairs)
    hit = _BG_CACHE.get(key)
    if hit is None:
        if len(_BG_CACHE) > 2048:
            _BG_CACHE.clear()
        hit = _BG_CACHE[key] = _background(pairs)
    return hit


def _background(pairs: Pairs) -> int:
    cnt = np.bincount(np.concatenate([np.asarray(a).ravel() for a, _ in pairs]).clip(0, 9), minlength=10)
    top = int(np.argmax(cnt))
    return 0 if cnt[0] > 0 and cnt[0] * 2 >= cnt[top] else top


def bg_options(pairs: Pairs) -> list[int]:
    b = background(pairs)
    return [b] if b == 0 else [b, 0]


def output_colours(pairs: Pairs, bg: int) -> list[int]:
    """Non-background colours seen in outputs, most frequent first."""
    cnt: Counter = Counter()
    for _, b in pairs:
        vals, counts = np.unique(b, return_counts=True)
        for v, c in zip(vals.tolist(), counts.tolist()):
            if v != bg:
                cnt[v] += c
    return [c for c, _ in cnt.most_common()]


def new_colours(pairs: Pairs, bg: int) -> list[int]:
    """Colours written by the transform onto cells that change (same-shape pairs), most frequent first;
    falls back to output colours."""
    cnt: Counter = Counter()
    if same_shapes(pairs):
        for a, b in pairs:
            diff = a != b
            vals, counts = np.unique(b[diff], return_counts=True)
            cnt.update(dict(zip(vals.tolist(), counts.tolist())))
    if not cnt:
        return output_colours(pairs, bg)
    return [int(c) for c, _ in cnt.most_common()]


def input_colours(pairs: Pairs) -> list[int]:
    cnt: Counter = Counter()
    for a, _ in pairs:
        vals, counts = np.unique(a, return_counts=True)
        cnt.update(dict(zip(vals.tolist(), counts.tolist())))
    return [int(c) for c, _ in cnt.most_common()]


def vanishing_colours(pairs: Pairs) -> list[int]:
    """Colours present in every input but absent from every output (noise / mask colours)."""
    common = None
    for a, b in pairs:
        s = set(np.unique(a).tolist()) - set(np.unique(b).tolist())
        common = s if common is None else common & s
    return sorted(common or [])


