"""Tiling and mosaics: outputs built from blocks — the grid under a different flip/rotation in each
block, a learned block per input colour, a tiling whose size is a count, or equal cells stacked
under a learned priority."""
from __future__ import annotations

from itertools import permutations

import numpy as np

from ..registry import Pairs, mark_cacheable, register
from ._infer import bg_options
from .colour import _components
from .partition import _split, pair_splits


def _d4(g, code):
    # the 8 symmetries of the square: 0 identity, 1-3 rotations by 90/180/270 (counter-clockwise),
    # 4 flip left-right, 5 flip up-down, 6 transpose, 7 anti-transpose
    # (rotations by slicing, as np.rot90(g, code) gives them)
    if code == 0:
        return g[:]
    if code == 1:
        return g.T[::-1]
    if code == 2:
        return g[::-1, ::-1]
    if code == 3:
        return g[::-1].T
    if code == 4:
        return g[:, ::-1]
    if code == 5:
        return g[::-1]
    if code == 6:
        return g.T
    return g[::-1, ::-1].T


def mosaic(grid, layout=((0,),)):
    # an ny x nx arrangement of blocks, block (i, j) being the grid under symmetry layout[i][j]
    g = np.asarray(grid)
    rows = []
    for codes in layout:
        blocks = [_d4(g, c) for c in codes]
        if len({b.shape for b in blocks}) != 1:
            raise ValueError("blocks differ in shape")
        rows.append(np.hstack(blocks))
    return np.vstack(rows)


def cell_to_block(grid, blocks=()):
    # every cell becomes the block learned for its colour (all blocks share one shape); a colour
    # with no block is an error rather than a guess
    g = np.asarray(grid)
    table = {int(c): np.asarray(b) for c, b in blocks}
    if not table:
        raise ValueError("no blocks")
    ky, kx = next(iter(table.values())).shape
    h, w = g.shape
    out = np.zeros((h * ky, w * kx), dtype=g.dtype)
    for v in np.unique(g).tolist():
        if v not in table:
            raise ValueError(f"no block for colour {v}")
        ys, xs = np.nonzero(g == v)
        for y, x in zip(ys.tolist(), xs.tolist()):
            out[y * ky:(y + 1) * ky, x * kx:(x + 1) * kx] = table[v]
    return out


def _count(g, what, bg):
    # how many of something the grid holds: distinct non-background colours, non-background
    # cells, background cells, or its side length
    if what == "colours":
        return len(set(np.unique(g).tolist()) - {bg})
    if what == "cells":
        return int(np.count_nonzero(g != bg))
    if what == "bg_cells":
        return int(np.count_nonzero(g == bg))
    if what == "height":
        return g.shape[0]
    if what == "width":
        return g.shape[1]
    raise ValueError(f"unknown count {what!r}")


def tile_by_count(grid, what="colours", how="tile", bg=0):
    # tile (or scale up) the grid n x n times, n being a count taken from the grid itself
    g = np.asarray(grid)
    n = _count(g, what, bg)
    if n < 1 or n * max(g.shape) > 30:
        raise ValueError("count out of range")
    if how == "tile":
        return np.tile(g, (n, n))
    return np.repeat(np.repeat(g, n, axis=0), n, axis=1)


def cells_priority(grid, parts="sep", order=(0, 1), bg=0):
    # overlay equal cells; where several are filled, the first cell in `order` wins
    g = np.asarray(grid)
    cells = [c for row in _split(g, parts) for c in row]
    if len({c.shape for c in cells}) != 1 or len(order) != len(cells):
        raise ValueError("cells do not match the order")
    out = np.full_like(cells[0], bg)
    for i in list(order)[::-1]:
        c = cells[i]
        out[c != bg] = c[c != bg]
    return out


# ---------------------------------------------------------------- parameter inference


def _block_ratio(pairs: Pairs):
    r = set()
    for a, b in pairs:
        if b.shape[0] % a.shape[0] or b.shape[1] % a.shape[1]:
            return None
        r.add((b.shape[0] // a.shape[0], b.shape[1] // a.shape[1]))
    return r.pop() if len(r) == 1 else None


def _mosaic_infer(pairs: Pairs) -> list[dict]:
    r = _block_ratio(pairs)
    if r is None or r == (1, 1) or r[0] * r[1] > 36:
        return []
    ny, nx = r
    layout = []
    for i in range(ny):
        row = []
        for j in range(nx):
            found = None
            for code in range(8):
                ok = True
                for a, b in pairs:
                    h, w = a.shape
                    t = _d4(a, code)
                    if t.shape != (h, w) or not np.array_equal(t, b[i * h:(i + 1) * h, j * w:(j + 1) * w]):
                        ok = False
                        break
                if ok:
                    found = code
                    break
            if found is None:
                return []
            row.append(found)
        layout.append(row)
    return [{"layout": layout}]


def _block_infer(pairs: Pairs) -> list[dict]:
    r = _block_ratio(pairs)
    if r is None or r == (1, 1):
        return []
    ky, kx = r
    table: dict[int, np.ndarray] = {}
    # every colour's block must be confirmed by a second occurrence; otherwise a 1x1 input would
    # "learn" its whole output as one block (memorisation, not a rule)
    seen = np.bincount(np.minimum(np.maximum(np.concatenate([a.ravel() for a, _ in pairs]), 0), 9), minlength=10)
    if any(0 < n < 2 for n in seen.tolist()):
        return []
    for a, b in pairs:
        for y in range(a.shape[0]):
            for x in range(a.shape[1]):
                blk = b[y * ky:(y + 1) * ky, x * kx:(x + 1) * kx]
                v = int(a[y, x])
                if v in table:
                    if not np.array_equal(table[v], blk):
                        return []
                else:
                    table[v] = blk
    return [{"blocks": [[v, table[v].astype(int).tolist()] for v in sorted(table)]}]


_COUNTS = ("colours", "cells", "bg_cells", "height", "width")


def _count_space(pairs: Pairs) -> list[dict]:
    out = []
    for b in bg_options(pairs):
        for what in _COUNTS:
            ok = True
            for a, o in pairs:
                n = _count(a, what, b)
                if o.shape != (a.shape[0] * n, a.shape[1] * n):
                    ok = False
                    break
            if ok:
                out += [{"what": what, "how": how, "bg": b} for how in ("tile", "scale")]
    return out


def _priority_infer(pairs: Pairs) -> list[dict]:
    out = []
    for b in bg_options(pairs):
        for parts, cells in pair_splits(pairs).items():
            if cells is None:
                continue
            splits = [[c for row in rows for c in row] for rows in cells]
            n = len(splits[0])
            if n > 5 or any(len(s) != n or s[0].shape != o.shape or len({c.shape for c in s}) != 1
                            for s, (_, o) in zip(splits, pairs)):
                continue
            for order in permutations(range(n)):
                ok = True
                for cells, (_, o) in zip(splits, pairs):
                    pred = np.full_like(cells[0], b)
                    for i in order[::-1]:
                        pred[cells[i] != b] = cells[i][cells[i] != b]
                    if not np.array_equal(pred, o):
                        ok = False
                        break
                if ok:
                    out.append({"parts": parts, "order": list(order), "bg": b})
                    break
    return out


register(mosaic, category="geometry", cost=1.05, infer=_mosaic_infer, helpers=[_d4],
         description="Build a larger grid from blocks, each block a copy of the grid under its own flip or rotation (a mosaic of symmetries).")
register(cell_to_block, category="geometry", cost=1.1, infer=_block_infer,
         description="Blow each cell up into a small block pattern learned per colour from the train pairs.")
register(tile_by_count, category="geometry", cost=1.1, space=_count_space, helpers=[_count],
         description="Tile (or scale up) the grid n x n times, where n is a count read from the grid: its number of colours, filled cells, or its size.")
register(cells_priority, category="partition", cost=1.05, infer=_priority_infer, helpers=[_split],
         description="Split the grid into equal cells and overlay them with a learned priority: where several cells are filled, the highest-priority one shows.")


def scale_down_any(grid, ky=2, kx=2, bg=0):
    # each ky x kx block becomes its most common non-background colour, or background when the
    # block is empty (a coarse map of where anything is, however small); bg=-1: the grid's most
    # common colour is the background
    g = np.asarray(grid)
    h, w = g.shape
    if h % ky or w % kx:
        raise ValueError("grid does not divide into blocks")
    if bg < 0:
        bg = int(np.bincount(np.minimum(np.maximum(g.ravel(), 0), 9), minlength=10).argmax())
    out = np.full((h // ky, w // kx), bg, dtype=g.dtype)
    for i in range(h // ky):
        for j in range(w // kx):
            v = g[i * ky:(i + 1) * ky, j * kx:(j + 1) * kx]
            v = v[v != bg]
            if len(v):
                out[i, j] = np.bincount(np.minimum(np.maximum(v, 0), 9), minlength=10).argmax()
    return out


def _count_of(g, colour, what, bg):
    # (the colour counted, how many): cells or objects of `colour` (-1: the rarest non-background
    # colour), or its cells inside the bounding box of the most common other colour (a frame)
    if colour < 0:
        cnt = np.bincount(np.minimum(np.maximum(g[g != bg], 0), 9), minlength=10)
        if cnt.sum() == 0:
            raise ValueError("nothing to count")
        cnt[cnt == 0] = g.size + 1
        colour = int(cnt.argmin())
    if what == "cells":
        n = int(np.count_nonzero(g == colour))
    elif what == "objects":
        m = (g == colour).astype(np.int64)
        n = len(_components(m, 8, False, 0))
    elif what == "in_box":
        others = g[(g != colour) & (g != bg)]
        if len(others) == 0:
            raise ValueError("no frame colour")
        f = np.bincount(np.minimum(np.maximum(others, 0), 9), minlength=10).argmax()
        ys, xs = np.nonzero(g == f)
        n = int(np.count_nonzero(g[ys.min():ys.max() + 1, xs.min():xs.max() + 1] == colour))
    else:
        raise ValueError(f"unknown count {what!r}")
    return colour, n


def count_fill(grid, colour=1, what="cells", h=3, w=3, order="rows", bg=0, paint=-1):
    # count something of `colour` (-1: the rarest non-background colour) and draw that many
    # cells of `paint` (-1: the counted colour) on an empty h x w grid, row by row or along the
    # diagonal ("three red dots -> three red cells")
    g = np.asarray(grid)
    colour, n = _count_of(g, colour, what, bg)
    out = np.full((h, w), bg, dtype=g.dtype)
    cells = [(y, x) for y in range(h) for x in range(w)] if order == "rows" else \
        [(i, i) for i in range(min(h, w))]
    if n > len(cells):
        raise ValueError("count does not fit")
    for y, x in cells[:n]:
        out[y, x] = colour if paint < 0 else paint
    return out


# inference tries many sizes, orders and paints per grid: the count is made once for all of them
mark_cacheable(_count_of, uses=[_components])


def _scale_any_space(pairs: Pairs) -> list[dict]:
    r = set()
    for a, b in pairs:
        if a.shape[0] % b.shape[0] or a.shape[1] % b.shape[1]:
            return []
        r.add((a.shape[0] // b.shape[0], a.shape[1] // b.shape[1]))
    if len(r) != 1 or r == {(1, 1)}:
        return []
    ky, kx = r.pop()
    return [{"ky": ky, "kx": kx, "bg": b} for b in bg_options(pairs) + [-1]]


def _count_fill_space(pairs: Pairs) -> list[dict]:
    shapes = {b.shape for _, b in pairs}
    if len(shapes) != 1:
        return []
    h, w = shapes.pop()
    if h * w > 100:
        return []
    res = []
    for b in bg_options(pairs):
        counted = set(range(10)) - {b}
        painted = set(range(10)) - {b}
        for a, o in pairs:
            counted &= set(np.unique(a).tolist())
            painted &= set(np.unique(o).tolist())
        for c in sorted(counted) + [-1]:
            for p in [-1] + sorted(painted - {c}):
                for what in ("cells", "objects", "in_box"):
                    for order in ("rows", "diag"):
                        res.append({"colour": c, "what": what, "h": h, "w": w, "order": order, "bg": b,
                                    "paint": p})
    return res


register(scale_down_any, category="geometry", cost=1.2, space=_scale_any_space,
         description="Scale the grid down by integer factors, each block becoming its non-background colour if it holds any (so single marked cells survive).")
register(count_fill, category="objects", cost=1.3, space=_count_fill_space, helpers=[_components, _count_of],
         description="Count cells or objects of a colour (optionally those inside a frame) and draw that many cells of it on a small fixed-size grid, row by row or diagonally.")
