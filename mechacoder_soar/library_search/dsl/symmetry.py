"""Symmetry: make a grid symmetric by overlaying its mirror images, repair masked cells from a
symmetric or periodic counterpart, and crop out the repaired region."""
from __future__ import annotations

import numpy as np

from ..compiled import kernel, kernel_grid
from ..registry import Pairs, mark_compiled, register
from ._infer import bg_options, input_colours, same_shapes, vanishing_colours
from .geometry import _colour_box


MODES = ("lr", "ud", "both", "rot4", "diag", "periodic")


def _mirror_fill(g, mode, bg):
    # background cells take the first non-background value among the grid's mirror images (the
    # union of all symmetric copies); the views are made only for the mode asked for
    views = {"lr": lambda: [g[:, ::-1]], "ud": lambda: [g[::-1]],
             "both": lambda: [g[:, ::-1], g[::-1], g[::-1, ::-1]], "diag": lambda: [g.T],
             "rot4": lambda: [g.T[::-1], g[::-1, ::-1], g[::-1].T],   # np.rot90 by 1, 2, 3
             "all": lambda: [g[:, ::-1], g[::-1], g[::-1, ::-1], g.T, g.T[::-1], g[::-1].T,
                             g[::-1, ::-1].T]}[mode]()
    out = g.copy()
    for v in views:
        if v.shape != g.shape:
            raise ValueError("symmetry needs a square grid")
        m = (out == bg) & (v != bg)
        out[m] = v[m]
    return out


def symmetrize(grid, mode="lr", bg=0):
    # fill background cells from the grid's mirror images (the union of all symmetric copies)
    return _mirror_fill(np.asarray(grid), mode, bg)


# _mirror_fill's views as the kernel walks them: 0 left-right, 1 up-down, 2 half turn, 3 transpose,
# 4 quarter turn, 5 three quarter turns, 6 anti-transpose; and whether the mode needs a square grid
_VIEWS = {"lr": ((0,), False), "ud": ((1,), False), "both": ((0, 1, 2), False), "diag": ((3,), True),
          "rot4": ((4, 2, 5), True), "all": ((0, 1, 2, 3, 4, 5, 6), True)}
_VIEW_ARRAYS = {mode: (np.array(codes, dtype=np.int64), square) for mode, (codes, square) in _VIEWS.items()}


@kernel
def _mirror_fill_kernel(g, codes, bg):
    h, w = g.shape
    out = g.copy()
    for y in range(h):
        for x in range(w):
            if out[y, x] != bg:
                continue
            for c in codes:
                if c == 0:
                    v = g[y, w - 1 - x]
                elif c == 1:
                    v = g[h - 1 - y, x]
                elif c == 2:
                    v = g[h - 1 - y, w - 1 - x]
                elif c == 3:
                    v = g[x, y]
                elif c == 4:
                    v = g[x, w - 1 - y]
                elif c == 5:
                    v = g[h - 1 - x, y]
                else:
                    v = g[h - 1 - x, w - 1 - y]
                if v != bg:
                    out[y, x] = v
                    break
    return out


def _mirror_fill_twin(g, mode, bg):
    views = _VIEW_ARRAYS.get(mode) if isinstance(mode, str) else None
    k = kernel_grid(g, bg)
    if views is None or k is None:
        return _mirror_fill(g, mode, bg)
    codes, square = views
    if square and k.shape[0] != k.shape[1]:
        raise ValueError("symmetry needs a square grid")
    return _mirror_fill_kernel(k, codes, int(bg))


mark_compiled(_mirror_fill, _mirror_fill_twin)


def _repair(g, mode, mask):
    # fill cells equal to `mask` from their counterpart under a symmetry (mirror axes found by
    # best agreement, so off-centre patterns work) or under the smallest consistent period
    h, w = g.shape
    known = g != mask

    def best_axis(n, axis):
        # agreement of every pair of rows (axis 0) or columns (axis 1) over cells known in both,
        # summed per mirror position s (pairs i, s - i), then the best s as one loop over scalars
        a = g if axis == 0 else g.T
        k = known if axis == 0 else known.T
        both = (k[:, None, :] & k[None, :, :])
        same = (both & (a[:, None, :] == a[None, :, :])).sum(axis=2).ravel()
        pos = np.add.outer(np.arange(n), np.arange(n)).ravel()
        n_same = np.bincount(pos, weights=same, minlength=2 * n - 1)
        n_both = np.bincount(pos, weights=both.sum(axis=2).ravel(), minlength=2 * n - 1)
        best, best_s = None, -1.0
        for s in range(n // 2, 2 * n - 2 - n // 2 + 1):
            n_ok = min(s, 2 * n - 2 - s) + 1
            if n_ok < n // 2 + 1 or n_both[s] == 0:
                continue
            score = int(n_same[s]) / int(n_both[s]) + 1e-3 * n_ok / n
            if score > best_s:
                best, best_s = s, score
        return best

    if mode == "periodic":
        return _periodic(g, known, h, w)
    maps = []
    if mode in ("lr", "both"):
        s = best_axis(w, 1)
        if s is not None:
            maps.append(lambda y, x, s=s: (y, s - x))
    if mode in ("ud", "both"):
        s = best_axis(h, 0)
        if s is not None:
            maps.append(lambda y, x, s=s: (s - y, x))
    if mode == "both" and len(maps) == 2:
        maps.append(lambda y, x, f=maps[0], g2=maps[1]: g2(*f(y, x)))
    if mode == "diag":
        maps.append(lambda y, x: (x, y))
        maps.append(lambda y, x: (w - 1 - x, h - 1 - y))
    if mode == "rot4":
        maps.append(lambda y, x: (x, w - 1 - y))
        maps.append(lambda y, x: (h - 1 - y, w - 1 - x))
        maps.append(lambda y, x: (w - 1 - x, y))
    if not maps:
        raise ValueError("no symmetry found")
    # cell by cell in scan order (a cell may copy one filled earlier in the pass), on a flat list
    # with every masked cell's counterparts (flat index, -1 off the grid) worked out up front
    out = g.ravel().tolist()
    for _ in range(2):
        ys, xs = np.nonzero(np.array(out).reshape(h, w) == mask)
        targets = []
        for f in maps:
            yy, xx = f(ys, xs)
            targets.append(np.where((yy >= 0) & (yy < h) & (xx >= 0) & (xx < w), yy * w + xx, -1).tolist())
        for c, ts in zip((ys * w + xs).tolist(), zip(*targets)):
            for t in ts:
                if t >= 0 and out[t] != mask:
                    out[c] = out[t]
                    break
    return np.array(out, dtype=g.dtype).reshape(h, w)


def _periodic(g, known, h, w):
    # the smallest period (py, px) under which all known cells of a class agree; a shift that
    # already disagrees between two known cells one period apart cannot be it, so is skipped
    ys, xs = np.indices((h, w))
    kv, gv = known.ravel(), g.ravel()
    colours = gv.min() >= 0 and gv.max() < 99   # the class check below reads colours in 0..98
    vert = [not colours or py == h or not np.any(known[py:] & known[:-py] & (g[py:] != g[:-py])) for py in range(1, h + 1)]
    horiz = [not colours or px == w or not np.any(known[:, px:] & known[:, :-px] & (g[:, px:] != g[:, :-px])) for px in range(1, w + 1)]
    cands = sorted((py * px, py, px) for py in range(1, h + 1) for px in range(1, w + 1)
                   if (py, px) != (h, w) and vert[py - 1] and horiz[px - 1])
    for _, py, px in cands:
        cls = ((ys % py) * px + xs % px).ravel()
        hi = np.full(py * px, -1)
        lo = np.full(py * px, 99)
        np.maximum.at(hi, cls[kv], gv[kv])
        np.minimum.at(lo, cls[kv], gv[kv])
        seen = hi >= 0
        if np.all(hi[seen] == lo[seen]):
            fill = ~kv & seen[cls]
            res = gv.copy()
            res[fill] = hi[cls[fill]]
            return res.reshape(h, w)
    raise ValueError("no period found")


@kernel
def _best_axis_kernel(g, known, axis, n):
    # _repair's best_axis, as loops: agreement of every pair of rows (axis 0) or columns (axis 1)
    # i, j over cells known in both, summed per mirror position s = i + j; the best s, or -1
    m = g.shape[1] if axis == 0 else g.shape[0]
    n_same = np.zeros(2 * n - 1, dtype=np.int64)
    n_both = np.zeros(2 * n - 1, dtype=np.int64)
    for i in range(n):
        for j in range(n):
            same = both = 0
            for k in range(m):
                if axis == 0:
                    ki, kj, vi, vj = known[i, k], known[j, k], g[i, k], g[j, k]
                else:
                    ki, kj, vi, vj = known[k, i], known[k, j], g[k, i], g[k, j]
                if ki and kj:
                    both += 1
                    if vi == vj:
                        same += 1
            n_same[i + j] += same
            n_both[i + j] += both
    best, best_s = -1, -1.0
    for s in range(n // 2, 2 * n - 2 - n // 2 + 1):
        n_ok = min(s, 2 * n - 2 - s) + 1
        if n_ok < n // 2 + 1 or n_both[s] == 0:
            continue
        score = n_same[s] / n_both[s] + 1e-3 * n_ok / n
        if score > best_s:
            best, best_s = s, score
    return best


@kernel
def _fill_kernel(g, mask, maps):
    # _repair's two scan-order passes: a masked cell copies its first counterpart (under the
    # maps, in order) that is on the grid and not masked, reading cells filled earlier in the pass
    h, w = g.shape
    out = g.copy()
    for _ in range(2):
        todo = out == mask
        for y in range(h):
            for x in range(w):
                if not todo[y, x]:
                    continue
                for f in range(maps.shape[0]):
                    kind, a, b = maps[f, 0], maps[f, 1], maps[f, 2]
                    if kind == 0:      # lr mirror about a
                        yy, xx = y, a - x
                    elif kind == 1:    # ud mirror about a
                        yy, xx = a - y, x
                    elif kind == 2:    # both: ud about b after lr about a
                        yy, xx = b - y, a - x
                    elif kind == 3:
                        yy, xx = x, y
                    elif kind == 4:
                        yy, xx = w - 1 - x, h - 1 - y
                    elif kind == 5:
                        yy, xx = x, w - 1 - y
                    elif kind == 6:
                        yy, xx = h - 1 - y, w - 1 - x
                    else:
                        yy, xx = w - 1 - x, y
                    if 0 <= yy < h and 0 <= xx < w and out[yy, xx] != mask:
                        out[y, x] = out[yy, xx]
                        break
    return out


@kernel
def _periodic_kernel(g, mask):
    # _periodic for colours 0..98: the smallest period (by area, then rows) under which the known
    # cells of every class agree, and the grid with its masked cells filled from their class
    h, w = g.shape
    known = g != mask
    vert = np.ones(h, dtype=np.bool_)    # vert[py - 1]: no two known cells py rows apart differ
    horiz = np.ones(w, dtype=np.bool_)
    for py in range(1, h):
        for y in range(h - py):
            for x in range(w):
                if known[y, x] and known[y + py, x] and g[y, x] != g[y + py, x]:
                    vert[py - 1] = False
    for px in range(1, w):
        for y in range(h):
            for x in range(w - px):
                if known[y, x] and known[y, x + px] and g[y, x] != g[y, x + px]:
                    horiz[px - 1] = False
    hi = np.empty(h * w, dtype=np.int64)
    lo = np.empty(h * w, dtype=np.int64)
    for area in range(1, h * w):
        for py in range(1, h + 1):
            if area % py != 0 or area // py > w or not vert[py - 1] or not horiz[area // py - 1]:
                continue
            px = area // py
            hi[:area] = -1
            lo[:area] = 99
            for y in range(h):
                for x in range(w):
                    if known[y, x]:
                        c = (y % py) * px + x % px
                        hi[c] = max(hi[c], g[y, x])
                        lo[c] = min(lo[c], g[y, x])
            ok = True
            for c in range(area):
                if hi[c] >= 0 and hi[c] != lo[c]:
                    ok = False
                    break
            if ok:
                out = g.copy()
                for y in range(h):
                    for x in range(w):
                        c = (y % py) * px + x % px
                        if not known[y, x] and hi[c] >= 0:
                            out[y, x] = hi[c]
                return out, True
    return g, False


def _repair_twin(g, mode, mask):
    k = kernel_grid(g, mask)
    if k is None or mode not in MODES:
        return _repair(g, mode, mask)
    g = k
    if mode == "periodic":
        if g.min() < 0 or g.max() >= 99:   # _periodic's class check reads colours 0..98 only
            return _repair(g, mode, mask)
        out, found = _periodic_kernel(g, int(mask))
        if not found:
            raise ValueError("no period found")
        return out
    h, w = g.shape
    known = g != mask
    maps = []   # (kind, a, b) rows for _fill_kernel, in _repair's order
    s_lr = _best_axis_kernel(g, known, 1, w) if mode in ("lr", "both") else -1
    s_ud = _best_axis_kernel(g, known, 0, h) if mode in ("ud", "both") else -1
    if s_lr >= 0:
        maps.append((0, s_lr, 0))
    if s_ud >= 0:
        maps.append((1, s_ud, 0))
    if mode == "both" and len(maps) == 2:
        maps.append((2, s_lr, s_ud))
    if mode == "diag":
        maps += [(3, 0, 0), (4, 0, 0)]
    if mode == "rot4":
        maps += [(5, 0, 0), (6, 0, 0), (7, 0, 0)]
    if not maps:
        raise ValueError("no symmetry found")
    return _fill_kernel(g, int(mask), np.array(maps, dtype=np.int64))


mark_compiled(_repair, _repair_twin)


def repair_masked(grid, mode="lr", mask=0):
    return _repair(np.asarray(grid), mode, mask)


def crop_repaired(grid, mode="lr", mask=0):
    # repair the masked region, then return just that region (what was hidden under the mask)
    g = np.asarray(grid)
    y0, y1, x0, x1 = _colour_box(g, mask)   # raises where nothing is masked
    return _repair(g, mode, mask)[y0:y1, x0:x1]



def _repair_space(pairs: Pairs) -> list[dict]:
    if not same_shapes(pairs):
        return []
    masks = vanishing_colours(pairs) or [0]
    return [{"mode": m, "mask": c} for c in masks[:2] for m in MODES]


def _crop_space(pairs: Pairs) -> list[dict]:
    masks = []
    for c in input_colours(pairs):
        ok = True
        for a, b in pairs:
            ys, xs = np.nonzero(a == c)
            if len(ys) == 0 or (ys.max() - ys.min() + 1, xs.max() - xs.min() + 1) != b.shape:
                ok = False
                break
        if ok:
            masks.append(c)
    return [{"mode": m, "mask": c} for c in masks[:2] for m in MODES]


register(symmetrize, category="symmetry", cost=1.2, helpers=[_mirror_fill],
         space=lambda pairs: [] if not same_shapes(pairs) else [
             {"mode": m, "bg": b} for b in bg_options(pairs) for m in ("lr", "ud", "both", "diag", "rot4", "all")],
         keeps_shape=True,
         description="Make the grid symmetric by copying its mirror images (left-right, up-down, both, diagonal or rotational) onto empty cells.")
register(repair_masked, category="symmetry", cost=1.2, space=_repair_space, helpers=[_repair, _periodic],
         keeps_shape=True,
         description="Repair a damaged symmetric or periodic pattern: cells of the mask colour are restored from their mirror or repeating counterparts.")
register(crop_repaired, category="symmetry", cost=1.2, space=_crop_space, helpers=[_repair, _periodic, _colour_box],
         description="Find the rectangle hidden under a mask colour in a symmetric or periodic pattern and output what belongs there.")
