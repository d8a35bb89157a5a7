"""Task features from grids alone: what a task's train pairs look like, as a fixed-length vector.

DeepCoder-style attributes for the recognition model (model.py): the size relation of input and
output, colour counts and whether a cell-wise colour map explains the change, object counts,
symmetry, and the structure of the diff (which cells change, onto what). Each feature is scaled to
[0, 1] so that a plain L1 distance weighs them alike; a task's vector is the mean of its pairs'
(so "always" and "sometimes" differ). Nothing here runs a DSL primitive: the features describe the
task, they do not try to solve it.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import ndimage

_FOUR = ndimage.generate_binary_structure(2, 1)


def _bg(a: np.ndarray) -> int:
    return Counter(a.ravel().tolist()).most_common(1)[0][0]


def _objects(a: np.ndarray, bg: int) -> int:
    """4-connected single-colour components of non-background cells."""
    return sum(ndimage.label(a == c, structure=_FOUR)[1] for c in np.unique(a) if c != bg)


def _log_ratio(x: int, y: int) -> float:
    """log2(y / x) mapped from [-4, 4] to [0, 1]."""
    return float(np.clip(np.log2(max(y, 1) / max(x, 1)), -4, 4) / 8 + 0.5)


def _is_subgrid(small: np.ndarray, big: np.ndarray) -> bool:
    h, w = small.shape
    H, W = big.shape
    if h > H or w > W or (h, w) == (H, W):
        return False
    for r in range(H - h + 1):
        for c in range(W - w + 1):
            if np.array_equal(big[r:r + h, c:c + w], small):
                return True
    return False


def _colour_map_explains(i: np.ndarray, o: np.ndarray) -> bool:
    """Same shape, and each input colour always becomes one output colour."""
    seen: dict[int, int] = {}
    for a, b in zip(i.ravel().tolist(), o.ravel().tolist()):
        if seen.setdefault(a, b) != b:
            return False
    return True


def _symmetries(a: np.ndarray) -> list[float]:
    sq = a.shape[0] == a.shape[1]
    return [float(np.array_equal(a, a[:, ::-1])), float(np.array_equal(a, a[::-1])),
            float(sq and np.array_equal(a, a.T))]


def _d4_match(i: np.ndarray, o: np.ndarray) -> float:
    """The output is a rotation or reflection of the input (not the input itself)."""
    cands = [i[:, ::-1], i[::-1], np.rot90(i), np.rot90(i, 2), np.rot90(i, 3), i.T, np.rot90(i, 2).T]
    return float(any(c.shape == o.shape and np.array_equal(c, o) for c in cands) and not np.array_equal(i, o))


def _size_features(i: np.ndarray, o: np.ndarray) -> list[float]:
    (h, w), (H, W) = i.shape, o.shape
    grows = H >= h and W >= w and o.size > i.size
    shrinks = H <= h and W <= w and o.size < i.size
    return [
        float(i.shape == o.shape), float(grows), float(shrinks),
        _log_ratio(h, H), _log_ratio(w, W), _log_ratio(i.size, o.size),
        float(grows and H % h == 0 and W % w == 0),
        float(shrinks and h % H == 0 and w % W == 0),
        float(o.size == 1), float(min(H, W) == 1 and o.size > 1),
        float(grows and H % h == 0 and W % w == 0 and np.array_equal(np.tile(i, (H // h, W // w)), o)),
        float(grows and H % h == 0 and W % w == 0 and np.array_equal(np.kron(i, np.ones((H // h, W // w), int)), o)),
        float(shrinks and _is_subgrid(o, i)), float(grows and _is_subgrid(i, o)),
        min(h, w) / 30, min(H, W) / 30,
    ]


def _colour_features(i: np.ndarray, o: np.ndarray, bi: int, bo: int) -> list[float]:
    ci, co = set(np.unique(i).tolist()), set(np.unique(o).tolist())
    hi, ho = Counter(i.ravel().tolist()), Counter(o.ravel().tolist())
    return [
        len(ci) / 10, len(co) / 10, len(co - ci) / 3, len(ci - co) / 3, float(co <= ci), float(bi == bo),
        float(sorted(hi.values()) == sorted(ho.values()) and hi != ho),   # a permutation of colours
        float(hi == ho),                                                  # every colour count kept
        float((i != bi).sum() > 0 and (o != bo).sum() > (i != bi).sum()),  # more foreground
        float((o != bo).sum() < (i != bi).sum()),                         # less foreground
        min((o != bo).mean(), 1.0),
    ]


def _diff_features(i: np.ndarray, o: np.ndarray, bi: int) -> list[float]:
    """How the cells change, for same-shape pairs (zeros otherwise, flagged by the size block)."""
    if i.shape != o.shape:
        return [0.0] * 9
    ch = i != o
    frac = float(ch.mean())
    on_bg = float((ch & (i == bi)).sum() / max(ch.sum(), 1))
    to_bg = float((ch & (o == bi)).sum() / max(ch.sum(), 1))
    same_mask = np.array_equal(i != bi, o != bi)
    rows_kept = np.array_equal(np.sort((i != bi).sum(1)), np.sort((o != bi).sum(1)))
    cols_kept = np.array_equal((i != bi).sum(0), (o != bi).sum(0))
    return [
        frac, float(0 < frac < 0.1), float(frac > 0.5), on_bg, to_bg,
        float(same_mask and frac > 0),              # layout kept, colours changed
        float(_colour_map_explains(i, o) and frac > 0),
        float(cols_kept and frac > 0),              # gravity-like: column counts kept
        float(rows_kept and frac > 0),
    ]


_FACTS: dict[tuple, tuple[int, int, list[float]]] = {}
_FACTS_MAX = 4096   # grids whose facts are kept: dreams run many programs on the same inputs


def _facts(a: np.ndarray) -> tuple[int, int, list[float]]:
    """(background colour, object count, symmetries) of one grid, memoised by content."""
    key = (a.shape, a.tobytes())
    hit = _FACTS.get(key)
    if hit is None:
        if len(_FACTS) >= _FACTS_MAX:
            _FACTS.clear()
        bg = _bg(a)
        hit = _FACTS[key] = (bg, _objects(a, bg), _symmetries(a))
    return hit


def pair_features(i: Any, o: Any) -> np.ndarray:
    """The feature vector of one (input, output) pair; every entry in [0, 1]."""
    i, o = np.asarray(i, dtype=np.int64), np.asarray(o, dtype=np.int64)
    if i.ndim != 2 or o.ndim != 2 or not i.size or not o.size:
        raise ValueError(f"pair_features needs two non-empty 2-D grids, got shapes {i.shape} and {o.shape}")
    (bi, ni, si), (bo, no, so) = _facts(i), _facts(o)
    objects = [min(ni, 30) / 30, min(no, 30) / 30, float(no < ni), float(no > ni), float(no == 1),
               float(ni > 0 and ni >= 0.5 * (i != bi).sum())]  # speckled: mostly one-cell objects
    sym = si + so + [_d4_match(i, o)]
    return np.array(_size_features(i, o) + _colour_features(i, o, bi, bo) + _diff_features(i, o, bi) + objects + sym,
                    dtype=np.float64)


def task_features(pairs: Sequence[tuple[Any, Any]]) -> np.ndarray:
    """Mean of the pairs' feature vectors. `pairs`: (input, output) grids, at least one."""
    if not pairs:
        raise ValueError("task_features needs at least one (input, output) pair")
    return np.mean([pair_features(i, o) for i, o in pairs], axis=0)


N_FEATURES = len(pair_features([[0, 1]], [[1, 0]]))
