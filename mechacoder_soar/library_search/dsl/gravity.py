"""Gravity and sorting: cells fall towards an edge; rows/columns sorted by how full they are."""
from __future__ import annotations

import numpy as np

from ..compiled import grid_twin, kernel
from ..registry import Pairs, mark_compiled, register
from ._infer import bg_options, same_shapes


def _fall(t, bg):
    # every column's non-background cells stacked at its bottom, in their order
    out = np.full_like(t, bg)
    h = t.shape[0]
    for j in range(t.shape[1]):
        col = t[:, j]
        vals = col[col != bg]
        out[h - len(vals):, j] = vals
    return out


def gravity(grid, direction="down", bg=0):
    # non-background cells slide towards one edge, keeping their order along each column/row
    g = np.asarray(grid)
    t = {"down": g, "up": g[::-1], "right": g.T, "left": g.T[::-1]}[direction]
    out = _fall(t, bg)
    return {"down": out, "up": out[::-1], "right": out.T, "left": out[::-1].T}[direction]


@kernel
def _fall_kernel(t, bg):
    h, w = t.shape
    out = np.full((h, w), bg, dtype=np.int64)
    for j in range(w):
        n = 0
        for i in range(h):
            if t[i, j] != bg:
                n += 1
        k = h - n
        for i in range(h):
            if t[i, j] != bg:
                out[k, j] = t[i, j]
                k += 1
    return out


mark_compiled(_fall, grid_twin(_fall, _fall_kernel, int))


def sort_lines(grid, axis="rows", descending=True, bg=0):
    # reorder rows (or columns) by their count of non-background cells
    g = np.asarray(grid)
    t = g if axis == "rows" else g.T
    counts = (t != bg).sum(axis=1)
    order = np.argsort(-counts if descending else counts, kind="stable")
    t = t[order]
    return t if axis == "rows" else t.T


def _space(pairs: Pairs) -> list[dict]:
    if not same_shapes(pairs):
        return []
    return [{"direction": d, "bg": b} for b in bg_options(pairs) for d in ("down", "up", "left", "right")]


register(gravity, category="gravity", cost=1.1, space=_space, helpers=[_fall],
         keeps_shape=True,
         description="Gravity: let all non-background cells fall down (or up, left, right) until they stack against the edge.")
register(sort_lines, category="gravity", cost=1.3,
         space=lambda pairs: [] if not same_shapes(pairs) else [
             {"axis": a, "descending": d, "bg": b} for b in bg_options(pairs) for a in ("rows", "cols") for d in (True, False)],
         keeps_shape=True,
         description="Sort the rows (or columns) by how many non-background cells they contain.")
