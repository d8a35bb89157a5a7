"""Denoising: drop small specks, replace a noise colour by its surroundings, majority filtering."""
from __future__ import annotations

import numpy as np

from ..compiled import kernel, kernel_grid
from ..registry import Pairs, mark_compiled, register
from ._infer import bg_options, same_shapes, vanishing_colours
from .colour import _components


def remove_small_objects(grid, max_size=1, conn=8, bg=0):
    g = np.asarray(grid)
    out = g.copy()
    for _, cells in _components(g, conn, False, bg):
        if len(cells) <= max_size:
            for y, x in cells:
                out[y, x] = bg
    return out


def _neighbour_counts(g, exclude=-1):
    # counts[c, y, x]: how many of the 3x3 neighbourhood of (y, x) (itself included) have colour c
    h, w = g.shape
    p = np.full((h + 2, w + 2), -1).astype(g.dtype)   # g framed by -1 (cheaper than np.pad)
    p[1:-1, 1:-1] = g
    counts = np.zeros((10, h, w), dtype=np.int64)
    cs = np.arange(10)[:, None, None]
    for dy in range(3):
        for dx in range(3):
            counts += p[dy:dy + h, dx:dx + w][None] == cs
    if 0 <= exclude < 10:
        counts[exclude] = 0
    return counts


@kernel
def _neighbour_counts_kernel(g, exclude):
    h, w = g.shape
    counts = np.zeros((10, h, w), dtype=np.int64)
    for y in range(h):
        for x in range(w):
            for yy in range(max(y - 1, 0), min(y + 2, h)):
                for xx in range(max(x - 1, 0), min(x + 2, w)):
                    v = g[yy, xx]
                    if 0 <= v < 10:
                        counts[v, y, x] += 1
    if 0 <= exclude < 10:
        counts[exclude] = 0
    return counts


def _neighbour_counts_twin(g, exclude=-1):
    k = kernel_grid(g, exclude)
    if k is None:
        return _neighbour_counts(g, exclude)
    return _neighbour_counts_kernel(k, int(exclude))


mark_compiled(_neighbour_counts, _neighbour_counts_twin)


def replace_noise(grid, noise=5):
    # cells of the noise colour take the most common non-noise colour among their 8 neighbours,
    # repeated until none is left (so noise inside a big shape takes that shape's colour)
    g = np.asarray(grid).copy()
    h, w = g.shape
    for _ in range(max(h, w)):
        m = g == noise
        if not m.any():
            break
        counts = _neighbour_counts(g, noise)
        fill = m & (counts.max(axis=0) > 0)
        if not fill.any():
            break
        g = np.where(fill, counts.argmax(axis=0), g)
    return g


def majority_filter(grid):
    # each cell becomes the most common colour in its 3x3 neighbourhood (itself winning ties)
    g = np.asarray(grid)
    counts = _neighbour_counts(g)
    own = np.take_along_axis(counts, np.minimum(np.maximum(g, 0), 9)[None], axis=0)[0]
    return np.where(own < counts.max(axis=0), counts.argmax(axis=0), g).astype(g.dtype)


def _small_space(pairs: Pairs) -> list[dict]:
    if not same_shapes(pairs):
        return []
    return [{"max_size": k, "conn": c, "bg": b} for b in bg_options(pairs) for c in (8, 4) for k in (1, 2, 3, 4)]


def _noise_space(pairs: Pairs) -> list[dict]:
    return [{"noise": c} for c in vanishing_colours(pairs)[:2]]


register(remove_small_objects, category="denoise", cost=1.1, space=_small_space, helpers=[_components],
         keeps_shape=True,
         description="Denoise: erase specks, i.e. objects of at most max_size cells.")
register(replace_noise, category="denoise", cost=1.2, space=_noise_space, helpers=[_neighbour_counts],
         keeps_shape=True,
         description="Denoise: replace every cell of a noise colour with the majority colour of its neighbours.")
register(majority_filter, category="denoise", cost=1.5, helpers=[_neighbour_counts],
         description="Denoise with a 3x3 majority filter: each cell takes the most common colour around it.")
