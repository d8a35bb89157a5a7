"""Drawing: fill enclosed areas, outlines and halos, rays from pixels, connecting same-colour
pixels, frames."""
from __future__ import annotations

import numpy as np

from ..compiled import grid_twin, kernel, kernel_grid
from ..registry import Pairs, mark_cacheable, mark_compiled, register
from ._infer import bg_options, input_colours, new_colours, same_shapes


def _outside(g, bg):
    # background cells 4-connected to the border: grow from the border's background cells one
    # step per iteration (vectorised; ARC regions converge in a few dozen steps)
    free = np.asarray(g) == bg
    out = np.zeros_like(free)
    out[0], out[-1], out[:, 0], out[:, -1] = free[0], free[-1], free[:, 0], free[:, -1]
    while True:
        grow = out.copy()
        grow[1:] |= out[:-1]
        grow[:-1] |= out[1:]
        grow[:, 1:] |= out[:, :-1]
        grow[:, :-1] |= out[:, 1:]
        grow &= free
        if (grow == out).all():
            return out
        out = grow


@kernel
def _outside_kernel(g, bg):
    # _outside as a flood fill: background cells 4-connected to the border's background cells
    h, w = g.shape
    out = np.zeros((h, w), dtype=np.bool_)
    stack = np.empty(h * w, dtype=np.int64)
    n = 0
    for y in range(h):
        for x in range(w):
            if (y == 0 or y == h - 1 or x == 0 or x == w - 1) and g[y, x] == bg and not out[y, x]:
                out[y, x] = True
                stack[n] = y * w + x
                n += 1
    while n > 0:
        n -= 1
        y, x = stack[n] // w, stack[n] % w
        for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            ny, nx = y + dy, x + dx
            if 0 <= ny < h and 0 <= nx < w and not out[ny, nx] and g[ny, nx] == bg:
                out[ny, nx] = True
                stack[n] = ny * w + nx
                n += 1
    return out


mark_compiled(_outside, grid_twin(_outside, _outside_kernel, int))


def fill_enclosed(grid, colour=1, bg=0):
    g = np.asarray(grid)
    out = g.copy()
    out[(g == bg) & ~_outside(g, bg)] = colour
    return out


def _neighbours_mask(m, diag):
    # cells with at least one 4- (or 8-) neighbour in mask m
    p = np.zeros((m.shape[0] + 2, m.shape[1] + 2), dtype=m.dtype)   # m framed by zeros
    p[1:-1, 1:-1] = m
    r = p[:-2, 1:-1] | p[2:, 1:-1] | p[1:-1, :-2] | p[1:-1, 2:]
    if diag:
        r = r | p[:-2, :-2] | p[:-2, 2:] | p[2:, :-2] | p[2:, 2:]
    return r


@kernel
def _neighbours_mask_kernel(m, diag):
    h, w = m.shape
    r = np.zeros((h, w), dtype=np.bool_)
    for y in range(h):
        for x in range(w):
            for yy in range(max(y - 1, 0), min(y + 2, h)):
                for xx in range(max(x - 1, 0), min(x + 2, w)):
                    # a 4-neighbour shares a row or a column; a diagonal one counts only with diag
                    if m[yy, xx] and not (yy == y and xx == x) and (diag or yy == y or xx == x):
                        r[y, x] = True
    return r


def _neighbours_mask_twin(m, diag):
    # the kernel for boolean masks (what halo passes) and a plain bool or int diag
    if (type(m) is not np.ndarray or m.dtype != np.bool_ or m.ndim != 2
            or not isinstance(diag, (bool, int, np.bool_, np.integer))):
        return _neighbours_mask(m, diag)
    return _neighbours_mask_kernel(np.ascontiguousarray(m), bool(diag))


mark_compiled(_neighbours_mask, _neighbours_mask_twin)


def halo(grid, colour=1, diag=True, bg=0):
    # paint background cells that touch an object
    g = np.asarray(grid)
    out = g.copy()
    out[(g == bg) & _neighbours_mask(g != bg, diag)] = colour
    return out


def _interior(g):
    # cells whose four neighbours all share their colour (cells beyond the border count as -1)
    p = np.full((g.shape[0] + 2, g.shape[1] + 2), -1).astype(g.dtype)   # g framed by -1 (cheaper than np.pad)
    p[1:-1, 1:-1] = g
    return (p[:-2, 1:-1] == g) & (p[2:, 1:-1] == g) & (p[1:-1, :-2] == g) & (p[1:-1, 2:] == g)


@kernel
def _interior_kernel(g):
    h, w = g.shape
    r = np.zeros((h, w), dtype=np.bool_)
    for y in range(h):
        for x in range(w):
            v = g[y, x]
            up = g[y - 1, x] if y > 0 else -1
            down = g[y + 1, x] if y < h - 1 else -1
            left = g[y, x - 1] if x > 0 else -1
            right = g[y, x + 1] if x < w - 1 else -1
            r[y, x] = up == v and down == v and left == v and right == v
    return r


_interior_twin = grid_twin(_interior, _interior_kernel)
# hollow and fill_interior, with every colour inference tries, ask the same grids
mark_compiled(_interior, _interior_twin)
mark_cacheable(_interior)


def hollow(grid, bg=0):
    # erase object interiors (cells whose four neighbours share their colour), keeping outlines
    g = np.asarray(grid)
    out = g.copy()
    out[_interior(g) & (g != bg)] = bg
    return out


def fill_interior(grid, colour=1, bg=0):
    # recolour object interiors (cells whose four neighbours share their colour)
    g = np.asarray(grid)
    out = g.copy()
    out[_interior(g) & (g != bg)] = colour
    return out


def _shoot(g, dirs, stop, colour, bg):
    # every non-background pixel (of `colour`, or any when -1) walks each direction (dy, dx) in
    # `dirs` over background, painting it, to the edge or (stop) to the first non-background cell
    h, w = g.shape
    ys, xs = np.nonzero((g != bg) if colour == -1 else (g == colour))
    src, out = g.tolist(), g.tolist()   # cell-by-cell walks: Python lists index far faster
    for y, x in zip(ys.tolist(), xs.tolist()):
        c = src[y][x]
        for dy, dx in dirs:
            ny, nx = y + dy, x + dx
            while 0 <= ny < h and 0 <= nx < w:
                if src[ny][nx] != bg:
                    if stop:
                        break
                else:
                    out[ny][nx] = c
                ny, nx = ny + dy, nx + dx
    return np.array(out, dtype=g.dtype)


def rays(grid, directions="hv", stop=False, colour=-1, bg=0):
    # every non-background pixel (of `colour`, or any when -1) extends its colour over background
    # in the given directions, to the edge or (stop=True) to the first non-background cell
    dirs = {"up": [(-1, 0)], "down": [(1, 0)], "left": [(0, -1)], "right": [(0, 1)],
            "h": [(0, -1), (0, 1)], "v": [(-1, 0), (1, 0)],
            "hv": [(0, -1), (0, 1), (-1, 0), (1, 0)], "diag": [(-1, -1), (-1, 1), (1, -1), (1, 1)],
            "all": [(0, -1), (0, 1), (-1, 0), (1, 0), (-1, -1), (-1, 1), (1, -1), (1, 1)]}[directions]
    return _shoot(np.asarray(grid), dirs, stop, colour, bg)


@kernel
def _shoot_kernel(g, dirs, stop, colour, bg):
    h, w = g.shape
    out = g.copy()
    for y in range(h):
        for x in range(w):
            c = g[y, x]
            if (c != bg) if colour == -1 else (c == colour):
                for d in range(dirs.shape[0]):
                    dy, dx = dirs[d, 0], dirs[d, 1]
                    ny, nx = y + dy, x + dx
                    while 0 <= ny < h and 0 <= nx < w:
                        if g[ny, nx] != bg:
                            if stop:
                                break
                        else:
                            out[ny, nx] = c
                        ny += dy
                        nx += dx
    return out


_DIR_ARRAYS: dict[tuple, np.ndarray] = {}   # rays' few direction lists, as the kernel takes them


def _shoot_twin(g, dirs, stop, colour, bg):
    k = kernel_grid(g, stop, colour, bg)
    if k is None:
        return _shoot(g, dirs, stop, colour, bg)
    key = tuple(dirs)
    d = _DIR_ARRAYS.get(key)
    if d is None:
        d = _DIR_ARRAYS[key] = np.array(dirs, dtype=np.int64).reshape(-1, 2)
    return _shoot_kernel(k, d, bool(stop), int(colour), int(bg))


mark_compiled(_shoot, _shoot_twin)


def _join_lines(g, diagonal, bg):
    # per line (rows, then columns, then diagonals), everything between the first and last pixel
    # of each colour, colours in order of first appearance, painted over cells still background
    h, w = g.shape
    lines = [[(y, x) for x in range(w)] for y in range(h)] + [[(y, x) for y in range(h)] for x in range(w)]
    if diagonal:
        for d in range(-h + 1, w):
            lines.append([(y, y + d) for y in range(h) if 0 <= y + d < w])
            lines.append([(y, d + h - 1 - y) for y in range(h) if 0 <= d + h - 1 - y < w])
    src, out = g.tolist(), g.tolist()   # cell-by-cell walks: Python lists index far faster
    for cells in lines:
        vals = [src[y][x] for y, x in cells]
        first, last = {}, {}
        for i, v in enumerate(vals):
            if v != bg:
                first.setdefault(v, i)
                last[v] = i
        for v, i0 in first.items():
            for i in range(i0 + 1, last[v]):
                y, x = cells[i]
                if out[y][x] == bg:
                    out[y][x] = v
    return np.array(out, dtype=g.dtype)


def connect_same_colour(grid, diagonal=False, bg=0):
    # join same-colour pixels that share a row or column (and diagonal) with a line of their colour
    # over background
    return _join_lines(np.asarray(grid), diagonal, bg)


@kernel
def _join_lines_kernel(g, diagonal, bg):
    h, w = g.shape
    out = g.copy()
    n_max = h + w
    ly = np.empty(n_max, dtype=np.int64)
    lx = np.empty(n_max, dtype=np.int64)
    cols = np.empty(n_max, dtype=np.int64)    # distinct colours of a line, by first appearance
    first = np.empty(n_max, dtype=np.int64)
    last = np.empty(n_max, dtype=np.int64)
    n_lines = h + w + (2 * (h + w - 1) if diagonal else 0)
    for li in range(n_lines):
        n = 0   # the line's cells, in the order the Python helper lists them
        if li < h:
            for x in range(w):
                ly[n], lx[n] = li, x
                n += 1
        elif li < h + w:
            for y in range(h):
                ly[n], lx[n] = y, li - h
                n += 1
        else:
            k = li - h - w
            d = k // 2 - h + 1
            for y in range(h):
                x = y + d if k % 2 == 0 else d + h - 1 - y
                if 0 <= x < w:
                    ly[n], lx[n] = y, x
                    n += 1
        n_cols = 0
        for i in range(n):
            v = g[ly[i], lx[i]]
            if v != bg:
                j = 0
                while j < n_cols and cols[j] != v:
                    j += 1
                if j == n_cols:
                    cols[j], first[j] = v, i
                    n_cols += 1
                last[j] = i
        for j in range(n_cols):
            for i in range(first[j] + 1, last[j]):
                if out[ly[i], lx[i]] == bg:
                    out[ly[i], lx[i]] = cols[j]
    return out


mark_compiled(_join_lines, grid_twin(_join_lines, _join_lines_kernel, bool, int))


def draw_frame(grid, colour=1):
    g = np.asarray(grid).copy()
    g[0, :] = colour
    g[-1, :] = colour
    g[:, 0] = colour
    g[:, -1] = colour
    return g


def _colour_space(pairs: Pairs) -> list[dict]:
    return [{"colour": c, "bg": b} for b in bg_options(pairs) for c in new_colours(pairs, b)[:2]]


def _rays_space(pairs: Pairs) -> list[dict]:
    if not same_shapes(pairs):
        return []
    res = []
    for b in bg_options(pairs):
        cols = [-1] + [c for c in input_colours(pairs) if c != b][:3]
        for d in ("hv", "h", "v", "up", "down", "left", "right", "diag", "all"):
            for stop in (False, True):
                for c in cols:
                    res.append({"directions": d, "stop": stop, "colour": c, "bg": b})
    return res


register(fill_enclosed, category="drawing", cost=1.0, helpers=[_outside], space=_colour_space,
         keeps_shape=True,
         description="Fill background regions that are fully enclosed (not connected to the border) with a colour.")
register(halo, category="drawing", cost=1.2, helpers=[_neighbours_mask],
         space=lambda pairs: [{**p, "diag": d} for p in _colour_space(pairs) for d in (True, False)],
         keeps_shape=True,
         description="Draw a one-cell outline (halo) in a colour on the background around every object.")
register(hollow, category="drawing", cost=1.2, helpers=[_interior],
         space=lambda pairs: [{"bg": b} for b in bg_options(pairs)],
         keeps_shape=True,
         description="Hollow out solid objects: erase interior cells and keep only their outlines.")
register(fill_interior, category="drawing", cost=1.2, space=_colour_space, helpers=[_interior],
         keeps_shape=True,
         description="Recolour the interior cells of solid objects, keeping their outline colour.")
register(rays, category="drawing", cost=1.3, space=_rays_space, helpers=[_shoot],
         keeps_shape=True,
         description="Shoot lines from pixels: every (coloured) pixel extends its colour horizontally, vertically or diagonally to the edge or the next object.")
register(connect_same_colour, category="drawing", cost=1.2, helpers=[_join_lines],
         space=lambda pairs: [{"diagonal": d, "bg": b} for b in bg_options(pairs) for d in (False, True)],
         keeps_shape=True,
         description="Connect pairs of same-coloured pixels that share a row, column (or diagonal) with a straight line of that colour.")
register(draw_frame, category="drawing", cost=1.3,
         space=lambda pairs: [{"colour": c} for c in new_colours(pairs, bg_options(pairs)[0])[:2]],
         keeps_shape=True,
         description="Paint the outer border (frame) of the grid in one colour.")
