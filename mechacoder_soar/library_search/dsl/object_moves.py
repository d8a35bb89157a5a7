"""Per-object edits: flip/rotate every object inside its own bounding box, slide objects as rigid
bodies (gravity on whole shapes), or move them until they touch an anchor colour."""
from __future__ import annotations

import numpy as np

from ..compiled import kernel, kernel_grid
from ..registry import Pairs, mark_compiled, register
from ._infer import bg_options, same_shapes
from . import colour as colour_dsl   # its _components_kernel by attribute: bound to numba once compiled
from .colour import _components
from .objects import _DEFAULT_SETTINGS


def _transform_each(g, op, conn, multicolour, bg):
    # each object is flipped/rotated within its own bounding box (a rotation of a non-square box
    # keeps the box's top-left corner); objects are painted in scan order of their first cell
    out = np.full_like(g, bg)
    h, w = g.shape
    for _, cells in _components(g, conn, multicolour, bg):
        ys = np.array([p[0] for p in cells])
        xs = np.array([p[1] for p in cells])
        y0, x0 = ys.min(), xs.min()
        box = np.full((ys.max() - y0 + 1, xs.max() - x0 + 1), -1, dtype=np.int64)
        box[ys - y0, xs - x0] = g[ys, xs]
        if op == "flip_lr":
            t = box[:, ::-1]
        elif op == "flip_ud":
            t = box[::-1]
        elif op == "transpose":
            t = box.T
        elif op == "rot90":   # counter-clockwise, as np.rot90
            t = box.T[::-1]
        elif op == "rot180":
            t = box[::-1, ::-1]
        elif op == "rot270":
            t = box[::-1].T
        else:
            raise ValueError(f"unknown transform {op!r}")
        if y0 + t.shape[0] > h or x0 + t.shape[1] > w:
            raise ValueError("rotated object leaves the grid")
        sub = out[y0:y0 + t.shape[0], x0:x0 + t.shape[1]]
        sub[t >= 0] = t[t >= 0]
    return out


def transform_objects(grid, op="flip_lr", conn=8, multicolour=True, bg=0):
    return _transform_each(np.asarray(grid), op, conn, multicolour, bg)


def _slide_each(g, direction, conn, multicolour, bg, fixed):
    # objects fall as rigid bodies towards one edge until they hit the edge or a settled object;
    # objects of colour `fixed` (when >= 0) stay where they are and act as obstacles
    h, w = g.shape
    dy, dx = {"down": (1, 0), "up": (-1, 0), "right": (0, 1), "left": (0, -1)}[direction]
    comps = _components(g, conn, multicolour, bg)
    occ = np.zeros((h, w), dtype=bool)
    out = np.full_like(g, bg)
    moving = []
    for col, cells in comps:
        ys = np.array([p[0] for p in cells])
        xs = np.array([p[1] for p in cells])
        if fixed >= 0 and (g[ys, xs] == fixed).all():
            occ[ys, xs] = True
            out[ys, xs] = g[ys, xs]
        else:
            moving.append((ys, xs))
    # the object nearest the target edge settles first
    moving.sort(key=lambda m: -(m[0] * dy + m[1] * dx).max())
    for ys, xs in moving:
        _slide(g, out, occ, ys, xs, dy, dx)
    return out


def slide_objects(grid, direction="down", conn=8, multicolour=True, bg=0, fixed=-1):
    return _slide_each(np.asarray(grid), direction, conn, multicolour, bg, fixed)


def _slide(g, out, occ, ys, xs, dy, dx):
    """Move the cells (ys, xs) of `g` step by step along (dy, dx) until the next step would leave
    the grid or hit an occupied cell; paint them into `out` there and mark them occupied."""
    h, w = g.shape
    vals = g[ys, xs]
    k = 0
    if dy or dx:
        # the steps the grid's edges allow, then the first of them that would hit an occupied cell
        room = min(h - 1 - ys.max() if dy > 0 else ys.min() if dy < 0 else h + w,
                   w - 1 - xs.max() if dx > 0 else xs.min() if dx < 0 else h + w)
        if room > 0:
            steps = np.arange(1, room + 1)[:, None]
            hit = occ[ys[None, :] + steps * dy, xs[None, :] + steps * dx].any(axis=1)
            k = int(np.argmax(hit)) if hit.any() else int(room)
    ny, nx = ys + k * dy, xs + k * dx
    occ[ny, nx] = True
    out[ny, nx] = vals


def attract_to_colour(grid, anchor=1, conn=8, bg=0):
    # every object not of the anchor colour moves straight towards the anchor's cells (along the
    # axis on which they overlap) until it touches them; the anchor stays put
    g = np.asarray(grid)
    am = g == anchor
    if not am.any():
        raise ValueError("anchor colour absent")
    ay, ax = np.nonzero(am)
    out = np.where(am, g, bg)
    occ = am.copy()
    for _, cells in _components(np.where(am, bg, g), conn, True, bg):
        ys = np.array([p[0] for p in cells])
        xs = np.array([p[1] for p in cells])
        dy = dx = 0
        if xs.max() >= ax.min() and xs.min() <= ax.max():
            dy = 1 if ys.max() < ay.min() else (-1 if ys.min() > ay.max() else 0)
        elif ys.max() >= ay.min() and ys.min() <= ay.max():
            dx = 1 if xs.max() < ax.min() else (-1 if xs.min() > ax.max() else 0)
        _slide(g, out, occ, ys, xs, dy, dx)
    return out


OPS = ("flip_lr", "flip_ud", "rot90", "rot180", "rot270", "transpose")


@kernel
def _transform_kernel(g, cells, starts, op, bg):
    # _transform_each over labelled components; op: the index of its name in OPS. Returns the
    # grid and False where an object would leave the grid
    h, w = g.shape
    out = np.full_like(g, bg)
    for k in range(starts.shape[0] - 1):
        y0, x0, y1, x1 = h, w, -1, -1
        for i in range(starts[k], starts[k + 1]):
            y, x = cells[i] // w, cells[i] % w
            y0, x0, y1, x1 = min(y0, y), min(x0, x), max(y1, y), max(x1, x)
        bh, bw = y1 - y0 + 1, x1 - x0 + 1
        box = np.full((bh, bw), -1, dtype=np.int64)
        for i in range(starts[k], starts[k + 1]):
            y, x = cells[i] // w, cells[i] % w
            box[y - y0, x - x0] = g[y, x]
        th, tw = (bw, bh) if op == 2 or op == 4 or op == 5 else (bh, bw)
        if y0 + th > h or x0 + tw > w:
            return out, False
        for i in range(th):
            for j in range(tw):
                if op == 0:        # flip_lr
                    v = box[i, bw - 1 - j]
                elif op == 1:      # flip_ud
                    v = box[bh - 1 - i, j]
                elif op == 2:      # rot90, counter-clockwise as np.rot90
                    v = box[j, bw - 1 - i]
                elif op == 3:      # rot180
                    v = box[bh - 1 - i, bw - 1 - j]
                elif op == 4:      # rot270
                    v = box[bh - 1 - j, i]
                else:              # transpose
                    v = box[j, i]
                if v >= 0:
                    out[y0 + i, x0 + j] = v
    return out, True


def _transform_twin(g, op, conn, multicolour, bg):
    k = kernel_grid(g, conn, multicolour, bg)
    if k is None or op not in OPS:
        return _transform_each(g, op, conn, multicolour, bg)
    g = k
    cells, starts = colour_dsl._components_kernel(g, conn == 8, bool(multicolour), int(bg))
    out, ok = _transform_kernel(g, cells, starts, OPS.index(op), int(bg))
    if not ok:
        raise ValueError("rotated object leaves the grid")
    return out


@kernel
def _slide_kernel(g, cells, starts, dy, dx, bg, fixed):
    # _slide_each over labelled components: obstacles first, then the moving objects, nearest the
    # target edge first (ties in scan order), each moved until the next step would leave the grid
    # or hit an occupied cell
    h, w = g.shape
    n = starts.shape[0] - 1
    occ = np.zeros((h, w), dtype=np.bool_)
    out = np.full_like(g, bg)
    moving = np.zeros(n, dtype=np.bool_)
    key = np.zeros(n, dtype=np.int64)
    for k in range(n):
        still = fixed >= 0
        best = -(h + w) * 2
        for i in range(starts[k], starts[k + 1]):
            y, x = cells[i] // w, cells[i] % w
            if g[y, x] != fixed:
                still = False
            best = max(best, y * dy + x * dx)
        if still:
            for i in range(starts[k], starts[k + 1]):
                y, x = cells[i] // w, cells[i] % w
                occ[y, x] = True
                out[y, x] = g[y, x]
        else:
            moving[k] = True
            key[k] = -best
    order = np.argsort(key, kind="mergesort")   # stable, as Python's sort
    for k in order:
        if not moving[k]:
            continue
        ymin, xmin, ymax, xmax = h, w, -1, -1
        for i in range(starts[k], starts[k + 1]):
            y, x = cells[i] // w, cells[i] % w
            ymin, xmin, ymax, xmax = min(ymin, y), min(xmin, x), max(ymax, y), max(xmax, x)
        room_y = h - 1 - ymax if dy > 0 else (ymin if dy < 0 else h + w)
        room_x = w - 1 - xmax if dx > 0 else (xmin if dx < 0 else h + w)
        room = min(room_y, room_x)
        steps = 0
        if (dy != 0 or dx != 0) and room > 0:
            steps = room
            for s in range(1, room + 1):
                hit = False
                for i in range(starts[k], starts[k + 1]):
                    if occ[cells[i] // w + s * dy, cells[i] % w + s * dx]:
                        hit = True
                        break
                if hit:
                    steps = s - 1
                    break
        for i in range(starts[k], starts[k + 1]):
            y, x = cells[i] // w, cells[i] % w
            occ[y + steps * dy, x + steps * dx] = True
            out[y + steps * dy, x + steps * dx] = g[y, x]
    return out


_STEPS = {"down": (1, 0), "up": (-1, 0), "right": (0, 1), "left": (0, -1)}


def _slide_twin(g, direction, conn, multicolour, bg, fixed):
    k = kernel_grid(g, conn, multicolour, bg, fixed)
    if k is None or direction not in _STEPS:
        return _slide_each(g, direction, conn, multicolour, bg, fixed)
    g = k
    cells, starts = colour_dsl._components_kernel(g, conn == 8, bool(multicolour), int(bg))
    dy, dx = _STEPS[direction]
    return _slide_kernel(g, cells, starts, dy, dx, int(bg), int(fixed))




def _transform_space(pairs: Pairs) -> list[dict]:
    if not same_shapes(pairs):
        return []
    return [{"op": op, "conn": c, "multicolour": m, "bg": b}
            for b in bg_options(pairs) for c, m in _DEFAULT_SETTINGS[:2] for op in OPS]


def _still_colours(pairs: Pairs, bg: int) -> list[int]:
    """Colours present in every input that never move: exactly the same cells in the output."""
    return [c for c in range(10) if c != bg and all((a == c).any() for a, _ in pairs)
            and all(np.array_equal(a == c, o == c) for a, o in pairs)]


def _slide_space(pairs: Pairs) -> list[dict]:
    if not same_shapes(pairs):
        return []
    res = []
    for b in bg_options(pairs):
        still = _still_colours(pairs, b)  # candidate obstacles (a floor, a wall)
        for d in ("down", "up", "left", "right"):
            for c, m in _DEFAULT_SETTINGS[:2]:
                res.append({"direction": d, "conn": c, "multicolour": m, "bg": b, "fixed": -1})
                res += [{"direction": d, "conn": c, "multicolour": m, "bg": b, "fixed": f} for f in still[:2]]
    return res


def _attract_space(pairs: Pairs) -> list[dict]:
    if not same_shapes(pairs):
        return []
    res = []
    for b in bg_options(pairs):
        still = _still_colours(pairs, b)  # candidate anchors
        res += [{"anchor": c, "conn": k, "bg": b} for c in still[:3] for k in (8, 4)]
    return res


mark_compiled(_transform_each, _transform_twin)
mark_compiled(_slide_each, _slide_twin)

register(transform_objects, category="objects", cost=1.3, space=_transform_space, helpers=[_components, _transform_each],
         keeps_shape=True,
         description="Flip or rotate every object in place, each within its own bounding box.")
register(slide_objects, category="gravity", cost=1.3, space=_slide_space, helpers=[_components, _slide, _slide_each],
         keeps_shape=True,
         description="Gravity on whole objects: each object slides as a rigid shape towards one edge until it hits the edge, a wall colour, or another object.")
register(attract_to_colour, category="objects", cost=1.3, space=_attract_space, helpers=[_components, _slide],
         keeps_shape=True,
         description="Move every object straight towards an anchor colour until it touches it (objects align to / dock onto the anchor).")
