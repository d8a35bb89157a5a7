"""Denoising: drop small specks, replace a noise colour by its surroundings, majority filtering."""
from __future__ import annotations

import numpy as np

from ..registry import Pairs, register
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


def replace_noise(grid, noise=5):
    # cells of the noise colour take the most common non-noise colour among their 8 neighbours,
    # repeated until none is left (so noise inside a big shape takes that shape's colour)
    g = np.asarray(grid).copy()
    h, w = g.shape
    for _ in range(max(h, w)):
        ys, xs = np.nonzero(g == noise)
        if len(ys) == 0:
            break
        new = g.copy()
        for y, x in zip(ys.tolist(), xs.tolist()):
            nb = g[max(y - 1, 0):y + 2, max(x - 1, 0):x + 2].ravel()
            nb = nb[nb != noise]
            if len(nb):
                vals, counts = np.unique(nb, return_counts=True)
                new[y, x] = vals[np.argmax(counts)]
        if np.array_equal(new, g):
            break
        g = new
    return g


def majority_filter(grid):
    # each cell becomes the most common colour in its 3x3 neighbourhood (itself winning ties)
    g = np.asarray(grid)
    h, w = g.shape
    p = np.pad(g, 1, constant_values=-1)
    out = g.copy()
    for y in range(h):
        for x in range(w):
            nb = p[y:y + 3, x:x + 3].ravel()
            nb = nb[nb >= 0]
            vals, counts = np.unique(nb, return_counts=True)
            best = counts.max()
            if counts[vals == g[y, x]][0] < best:
                out[y, x] = vals[np.argmax(counts)]
    return out


def _small_space(pairs: Pairs) -> list[dict]:
    if not same_shapes(pairs):
        return []
    return [{"max_size": k, "conn": c, "bg": b} for b in bg_options(pairs) for c in (8, 4) for k in (1, 2, 3, 4)]


def _noise_space(pairs: Pairs) -> list[dict]:
    return [{"noise": c} for c in vanishing_colours(pairs)[:2]]


register(remove_small_objects, category="denoise", cost=1.1, space=_small_space, helpers=[_components],
         description="Denoise: erase specks, i.e. objects of at most max_size cells.")
register(replace_noise, category="denoise", cost=1.2, space=_noise_space,
         description="Denoise: replace every cell of a noise colour with the majority colour of its neighbours.")
register(majority_filter, category="denoise", cost=1.5,
         description="Denoise with a 3x3 majority filter: each cell takes the most common colour around it.")
