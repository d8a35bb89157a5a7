"""Objects: connected components, choosing one (largest, smallest, unique colour/shape, extreme
position...), cropping/keeping/removing/recolouring it, bounding boxes, counting."""
from __future__ import annotations

import heapq
from functools import wraps

import numpy as np

from .. import compiled
from ..compiled import kernel, kernel_grid, plain_ints
from ..registry import Pairs, array_key, cached, mark_cacheable, mark_compiled, register
from ._infer import bg_options, new_colours, pair_memo, same_shapes
from . import colour as colour_dsl   # its _components_kernel by attribute: bound to numba once compiled
from .colour import _colour_counts, _components

SELECTORS = [
    "largest", "smallest", "unique_colour", "unique_shape", "most_colours", "bbox_largest",
    "bbox_smallest", "densest", "sparsest", "top", "bottom", "left", "right", "symmetric",
    "asymmetric", "common_shape", "unique_pattern",
]


def _select(g, comps, selector, boxes=None):
    # index of the chosen component; ties go to the first in scan order. `boxes`: the components'
    # bounding boxes (y0, x0, y1, x1) when the caller has them already
    if not comps:
        raise ValueError("no objects")
    n = len(comps)
    sizes = [len(c[1]) for c in comps]
    if boxes is None:
        boxes = []
        for _, cells in comps:
            ys = [p[0] for p in cells]
            xs = [p[1] for p in cells]
            boxes.append((min(ys), min(xs), max(ys) + 1, max(xs) + 1))
    areas = [(b[2] - b[0]) * (b[3] - b[1]) for b in boxes]

    def shape_key(i):
        y0, x0 = boxes[i][0], boxes[i][1]
        return (boxes[i][2] - y0, boxes[i][3] - x0, tuple(sorted((y - y0, x - x0) for y, x in comps[i][1])))

    def colours(i):
        return set(int(g[y, x]) for y, x in comps[i][1])

    def pick_unique(keys):
        counts = {}
        for k in keys:
            counts[k] = counts.get(k, 0) + 1
        idx = [i for i in range(n) if counts[keys[i]] == 1]
        if len(idx) != 1:
            raise ValueError("no unique object")
        return idx[0]

    extreme = {"largest": (max, sizes), "smallest": (min, sizes), "bbox_largest": (max, areas),
               "bbox_smallest": (min, areas), "top": (min, [b[0] for b in boxes]),
               "bottom": (max, [b[2] for b in boxes]), "left": (min, [b[1] for b in boxes]),
               "right": (max, [b[3] for b in boxes])}
    if selector in ("densest", "sparsest"):
        extreme[selector] = (max if selector == "densest" else min, [sizes[i] / areas[i] for i in range(n)])
    if selector == "most_colours":
        extreme[selector] = (max, [len(colours(i)) for i in range(n)])
    if selector in extreme:
        pick, vals = extreme[selector]
        return pick(range(n), key=lambda i: vals[i])
    if selector == "unique_colour":
        return pick_unique([tuple(sorted(colours(i))) for i in range(n)])
    if selector == "unique_shape":
        return pick_unique([shape_key(i) for i in range(n)])
    if selector == "unique_pattern":
        # the one object whose bounding-box contents (colours included) occur only once
        def content(i):
            y0, x0, y1, x1 = boxes[i]
            return (y1 - y0, x1 - x0, g[y0:y1, x0:x1].tobytes())
        return pick_unique([content(i) for i in range(n)])
    if selector == "common_shape":
        keys = [shape_key(i) for i in range(n)]
        return max(range(n), key=lambda i: keys.count(keys[i]))
    if selector in ("symmetric", "asymmetric"):
        flags = []
        for i in range(n):
            y0, x0, y1, x1 = boxes[i]
            sub = g[y0:y1, x0:x1]
            flags.append(bool(np.array_equal(sub, sub[:, ::-1]) or np.array_equal(sub, sub[::-1])))
        want = selector == "symmetric"
        idx = [i for i in range(n) if flags[i] == want]
        if len(idx) != 1:
            raise ValueError("no unique (a)symmetric object")
        return idx[0]
    raise ValueError(f"unknown selector {selector!r}")


def _chosen(g, selector, conn, multicolour, bg):
    # the index of the object `selector` picks among the grid's components
    return _select(g, _components(g, conn, multicolour, bg), selector)


def _chosen_twin(g, selector, conn, multicolour, bg):
    # every selector's choice comes from one compiled pass per grid and setting, kept for all
    # selectors and shared with object inference (`_cached_choices`)
    k = kernel_grid(g, conn, multicolour, bg)
    if k is None or selector not in SELECTORS:
        return _chosen(g, selector, conn, multicolour, bg)
    i = _cached_choices(k, conn, multicolour, bg)[selector]
    if i < 0:
        raise ValueError(f"selector {selector!r} chooses no object")
    return i


# keep, remove, recolour and crop ask the same choice of the same grids
mark_compiled(_chosen, _chosen_twin)
mark_cacheable(_chosen, uses=[_components, _select])


def _boxes(g, conn, multicolour, bg):
    # every component's bounding box (y0, x0, y1, x1), ends exclusive, in _components' order
    out = []
    for _, cells in _components(g, conn, multicolour, bg):
        ys = [p[0] for p in cells]
        xs = [p[1] for p in cells]
        out.append((min(ys), min(xs), max(ys) + 1, max(xs) + 1))
    return out


def _boxes_twin(g, conn, multicolour, bg):
    # the boxes from the compiled labelling, kept per grid and setting (`_cached_boxes`, shared
    # with crop inference): no cell lists built
    k = kernel_grid(g, conn, multicolour, bg)
    if k is None:
        return _boxes(g, conn, multicolour, bg)
    return _cached_boxes(k, conn, multicolour, bg)


mark_compiled(_boxes, _boxes_twin)


def crop_object(grid, selector="largest", conn=8, multicolour=True, bg=0, isolate=False):
    g = np.asarray(grid)
    i = _chosen(g, selector, conn, multicolour, bg)
    y0, x0, y1, x1 = _boxes(g, conn, multicolour, bg)[i]
    if not isolate:
        return g[y0:y1, x0:x1]
    out = np.full((y1 - y0, x1 - x0), bg, dtype=g.dtype)
    for y, x in _components(g, conn, multicolour, bg)[i][1]:
        out[y - y0, x - x0] = g[y, x]
    return out


def keep_object(grid, selector="largest", conn=8, multicolour=True, bg=0):
    g = np.asarray(grid)
    comps = _components(g, conn, multicolour, bg)
    i = _chosen(g, selector, conn, multicolour, bg)
    out = np.full_like(g, bg)
    for y, x in comps[i][1]:
        out[y, x] = g[y, x]
    return out


def remove_object(grid, selector="largest", conn=8, multicolour=True, bg=0):
    g = np.asarray(grid)
    comps = _components(g, conn, multicolour, bg)
    i = _chosen(g, selector, conn, multicolour, bg)
    out = g.copy()
    for y, x in comps[i][1]:
        out[y, x] = bg
    return out


def recolour_object(grid, selector="largest", colour=1, conn=8, multicolour=False, bg=0):
    g = np.asarray(grid)
    comps = _components(g, conn, multicolour, bg)
    i = _chosen(g, selector, conn, multicolour, bg)
    out = g.copy()
    for y, x in comps[i][1]:
        out[y, x] = colour
    return out


def draw_bboxes(grid, colour=1, conn=8, bg=0):
    # outline the bounding box of every object, painting only background cells
    g = np.asarray(grid)
    out = g.copy()
    h, w = g.shape
    for y0, x0, y1, x1 in _boxes(g, conn, True, bg):
        y0, x0, y1, x1 = max(y0 - 1, 0), max(x0 - 1, 0), min(y1, h - 1), min(x1, w - 1)
        for y in range(y0, y1 + 1):
            for x in (x0, x1):
                if out[y, x] == bg:
                    out[y, x] = colour
        for x in range(x0, x1 + 1):
            for y in (y0, y1):
                if out[y, x] == bg:
                    out[y, x] = colour
    return out


def fill_bboxes(grid, colour=1, conn=8, bg=0):
    # fill the background cells inside every object's bounding box
    g = np.asarray(grid)
    out = g.copy()
    for y0, x0, y1, x1 in _boxes(g, conn, True, bg):
        sub = out[y0:y1, x0:x1]
        sub[sub == bg] = colour
    return out


def count_objects_row(grid, conn=8, multicolour=True, bg=0, vertical=False):
    # a 1 x n strip (n = number of objects) of the most common object colour
    g = np.asarray(grid)
    comps = _components(g, conn, multicolour, bg)
    if not comps:
        raise ValueError("no objects")
    vals, counts = _colour_counts(g, bg)
    out = np.full((1, len(comps)), vals[np.argmax(counts)], dtype=g.dtype)
    return out.T if vertical else out


# ---------------------------------------------------------------- parameter inference


_MISSING = object()


def _grid_memo(maxsize: int):
    """Memoise `fn(g, *settings)` for a C-ordered int64 grid `g`, keyed by the grid's `array_key`
    (shape and a 16-byte XXH3 digest: hashing a copy of a 30x30 grid's bytes on every call cost
    several times as much) and the settings; emptied when full. Results are shared: read-only."""
    def wrap(fn):
        cache: dict = {}

        @wraps(fn)
        def memo(g, *settings):
            k = (array_key(g), *settings)
            hit = cache.get(k, _MISSING)
            if hit is _MISSING:
                if len(cache) >= maxsize:
                    cache.clear()
                hit = cache[k] = fn(g, *settings)
            return hit

        memo.cache_clear = cache.clear   # type: ignore[attr-defined]
        return memo
    return wrap


@_grid_memo(8192)
def _labels(g: np.ndarray, conn: int, multi: bool, bg: int) -> tuple[np.ndarray, np.ndarray]:
    """The compiled labelling of a C-ordered int64 grid (`colour._components_kernel`: every
    component's cells, grouped, and where each group starts), for integer settings: boxes, selector
    choices and the edit agreements of keep / remove / recolour all read the same one."""
    return colour_dsl._components_kernel(g, conn == 8, bool(multi), int(bg))


@_grid_memo(8192)
def _cached_boxes(g: np.ndarray, conn: int, multi: bool, bg: int) -> list[tuple[int, int, int, int]]:
    """The components' bounding boxes (y0, x0, y1, x1), from the compiled labelling where the grid
    allows it (no cell lists built), else from the cached components."""
    if compiled.ENABLED and plain_ints(conn, multi, bg):
        shape = g.shape
        cells, starts = _labels(g, conn, multi, bg)
        if len(starts) == 1:
            return []
        ys, xs, first = cells // shape[1], cells % shape[1], starts[:-1]
        return list(zip(np.minimum.reduceat(ys, first).tolist(), np.minimum.reduceat(xs, first).tolist(),
                        (np.maximum.reduceat(ys, first) + 1).tolist(), (np.maximum.reduceat(xs, first) + 1).tolist()))
    comps = cached(_components)(g, conn, multi, bg)
    return [(min(ys), min(xs), max(ys) + 1, max(xs) + 1)
            for ys, xs in (([p[0] for p in cells], [p[1] for p in cells]) for _, cells in comps)]


@_grid_memo(8192)
def _cached_choices(g: np.ndarray, conn: int, multi: bool, bg: int) -> dict[str, int]:
    """Every selector's chosen component index, -1 where `_select` raises (failures are answers
    too: "no unique object" is common), with the bounding boxes worked out once for all."""
    if compiled.ENABLED and plain_ints(conn, multi, bg):
        if g.min() >= 0 and g.max() < 63:   # colour sets are bit masks in the kernel
            cells, starts = _labels(g, conn, multi, bg)
            return dict(zip(SELECTORS, _choices_kernel(g, cells, starts).tolist()))
    try:
        comps = cached(_components)(g, conn, multi, bg)
        boxes = _cached_boxes(g, conn, multi, bg)
    except Exception:
        return dict.fromkeys(SELECTORS, -1)
    out = {}
    for sel in SELECTORS:
        try:
            out[sel] = _select(g, comps, sel, boxes)
        except Exception:
            out[sel] = -1
    return out


@kernel
def _choices_kernel(g, cells, starts):
    # every selector's choice (SELECTORS order; -1 where `_select` raises) over labelled components,
    # as `_select` makes it: extremes take the first component reaching them, "unique" ones need
    # exactly one component whose key no other component shares
    h, w = g.shape
    n = starts.shape[0] - 1
    res = np.full(17, -1, dtype=np.int64)
    if n == 0:
        return res
    size = np.zeros(n, dtype=np.int64)
    box = np.zeros((n, 4), dtype=np.int64)      # y0, x0, y1, x1 (exclusive)
    cmask = np.zeros(n, dtype=np.int64)         # colour set as bits (colours 0..62)
    for k in range(n):
        y0, x0, y1, x1 = h, w, -1, -1
        for i in range(starts[k], starts[k + 1]):
            y, x = cells[i] // w, cells[i] % w
            y0, x0, y1, x1 = min(y0, y), min(x0, x), max(y1, y), max(x1, x)
            cmask[k] |= np.int64(1) << g[y, x]
        size[k] = starts[k + 1] - starts[k]
        box[k, 0], box[k, 1], box[k, 2], box[k, 3] = y0, x0, y1 + 1, x1 + 1
    area = (box[:, 2] - box[:, 0]) * (box[:, 3] - box[:, 1])
    ncol = np.zeros(n, dtype=np.int64)
    for k in range(n):
        m = cmask[k]
        while m:
            ncol[k] += m & 1
            m >>= 1
    # 0 largest, 1 smallest, 4 most_colours, 5 bbox_largest, 6 bbox_smallest, 7 densest, 8 sparsest,
    # 9 top, 10 bottom, 11 left, 12 right: the first index with the extreme value
    res[0], res[1], res[4] = np.argmax(size), np.argmin(size), np.argmax(ncol)
    res[5], res[6] = np.argmax(area), np.argmin(area)
    dens = size / area
    res[7], res[8] = np.argmax(dens), np.argmin(dens)
    res[9], res[10], res[11], res[12] = np.argmin(box[:, 0]), np.argmax(box[:, 2]), np.argmin(box[:, 1]), np.argmax(box[:, 3])
    # shapes (cells relative to the box) and box contents, compared pairwise
    same_shape = np.zeros((n, n), dtype=np.bool_)
    same_pattern = np.zeros((n, n), dtype=np.bool_)
    masks = np.zeros((n, h, w), dtype=np.bool_)
    for k in range(n):
        for i in range(starts[k], starts[k + 1]):
            y, x = cells[i] // w, cells[i] % w
            masks[k, y - box[k, 0], x - box[k, 1]] = True
    for a in range(n):
        bh, bw = box[a, 2] - box[a, 0], box[a, 3] - box[a, 1]
        for b in range(n):
            if box[b, 2] - box[b, 0] != bh or box[b, 3] - box[b, 1] != bw:
                continue
            s_eq, p_eq = True, True
            for y in range(bh):
                for x in range(bw):
                    if masks[a, y, x] != masks[b, y, x]:
                        s_eq = False
                    if g[box[a, 0] + y, box[a, 1] + x] != g[box[b, 0] + y, box[b, 1] + x]:
                        p_eq = False
            same_shape[a, b], same_pattern[a, b] = s_eq, p_eq
    # 2 unique_colour, 3 unique_shape, 16 unique_pattern
    for slot in (2, 3, 16):
        found, count = -1, 0
        for a in range(n):
            shared = 0
            for b in range(n):
                if slot == 2:
                    shared += cmask[a] == cmask[b]
                elif slot == 3:
                    shared += same_shape[a, b]
                else:
                    shared += same_pattern[a, b]
            if shared == 1:
                found, count = a, count + 1
        res[slot] = found if count == 1 else -1
    # 15 common_shape: the first component whose shape is shared by the most
    best, best_c = 0, -1
    for a in range(n):
        c = 0
        for b in range(n):
            c += same_shape[a, b]
        if c > best_c:
            best, best_c = a, c
    res[15] = best
    # 13 symmetric, 14 asymmetric: exactly one component whose box contents are (not) mirror-symmetric
    n_sym, i_sym, n_asym, i_asym = 0, -1, 0, -1
    for a in range(n):
        y0, x0, y1, x1 = box[a, 0], box[a, 1], box[a, 2], box[a, 3]
        lr, ud = True, True
        for y in range(y0, y1):
            for x in range(x0, x1):
                if g[y, x] != g[y, x1 - 1 - (x - x0)]:
                    lr = False
                if g[y, x] != g[y1 - 1 - (y - y0), x]:
                    ud = False
        if lr or ud:
            n_sym, i_sym = n_sym + 1, a
        else:
            n_asym, i_asym = n_asym + 1, a
    res[13] = i_sym if n_sym == 1 else -1
    res[14] = i_asym if n_asym == 1 else -1
    return res


class _Chosen:
    """Per pair of one search node (shared by its four object inferences, `_chosen_of`): each
    setting's components, boxes and selector choices, looked up by the grid, taken once."""

    def __init__(self, pairs: Pairs):
        self.grids = [np.ascontiguousarray(a, dtype=np.int64) for a, _ in pairs]
        # the compiled paths read int64 grids; other dtypes (hand-made pairs) take the Python ones
        self.compiled = compiled.ENABLED and all(np.asarray(a).dtype == np.int64 and np.asarray(o).dtype == np.int64
                                                 for a, o in pairs)

    def comps(self, j: int, conn: int, multi: bool, bg: int):
        return cached(_components)(self.grids[j], conn, multi, bg)

    def box_shapes(self, j: int, conn: int, multi: bool, bg: int) -> set[tuple[int, int]]:
        """The bounding-box shapes of the components (none where finding them fails)."""
        try:
            boxes = _cached_boxes(self.grids[j], conn, multi, bg)
        except Exception:
            return set()
        return {(y1 - y0, x1 - x0) for y0, x0, y1, x1 in boxes}

    def box_shape(self, j: int, conn: int, multi: bool, bg: int, i: int) -> tuple[int, int]:
        """The bounding-box shape of component `i`."""
        y0, x0, y1, x1 = _cached_boxes(self.grids[j], conn, multi, bg)[i]
        return y1 - y0, x1 - x0

    def agreements(self, j: int, conn: int, multi: bool, bg: int, kind: str, col, o: np.ndarray,
                   picks: np.ndarray, fast: bool) -> np.ndarray:
        """Per picked component index: the fraction of `o`'s cells that keeping / removing /
        recolouring that component gets right. `fast`: every component's count from one kernel call."""
        a = self.grids[j]
        if fast:
            cells, starts = _labels(a, conn, multi, bg)
            v = int(bg) if kind != "recolour" else int(col)
            counts = _edit_counts_kernel(a, np.ascontiguousarray(o, dtype=np.int64), cells, starts, kind == "keep",
                                         int(bg), v)
            return counts[picks] / o.size
        comps = self.comps(j, conn, multi, bg)
        by_pick = {i: _edit_agreement(kind, a, o, comps[i][1], bg, col) for i in set(picks.tolist())}
        return np.array([by_pick[i] for i in picks.tolist()], dtype=np.float64)

    def index(self, j: int, conn: int, multi: bool, bg: int, sel: str) -> int:
        return _cached_choices(self.grids[j], conn, multi, bg)[sel]

    def indices(self, conn: int, multi: bool, bg: int) -> np.ndarray:
        """Every selector's choice (SELECTORS order, -1 where it fails), one row per pair."""
        return np.array([list(_cached_choices(g, conn, multi, bg).values()) for g in self.grids], dtype=np.int64)


@pair_memo
def _chosen_of(pairs: Pairs) -> _Chosen:
    """The pairs' `_Chosen`, one per search node for all four object primitives' inference."""
    return _Chosen(pairs)


_DEFAULT_SETTINGS = [(8, True), (4, False), (8, False), (4, True)]


def _crop_infer(pairs: Pairs) -> list[dict]:
    """Settings whose chosen object's bounding box has the output's shape in every pair, checked
    with cached components; if no setting fits (an intermediate step), a few common defaults."""
    fits = []
    chosen = _chosen_of(pairs)
    for b in bg_options(pairs):
        for conn, multi in _DEFAULT_SETTINGS:
            # no selector can fit where no object has the output's shape: skip choosing
            if any(o.shape not in chosen.box_shapes(j, conn, multi, b) for j, (_, o) in enumerate(pairs)):
                continue
            shapes: list[dict] = [{} for _ in pairs]   # per pair: chosen index -> its bbox shape
            for sel in SELECTORS:
                ok = True
                for j, (_, o) in enumerate(pairs):
                    i = chosen.index(j, conn, multi, b, sel)
                    if i < 0:
                        ok = False
                        break
                    if i not in shapes[j]:
                        shapes[j][i] = chosen.box_shape(j, conn, multi, b, i)
                    if shapes[j][i] != o.shape:
                        ok = False
                        break
                if ok:
                    fits.append({"selector": sel, "conn": conn, "multicolour": multi, "bg": b})
    if not fits:
        b = bg_options(pairs)[0]
        return [{"selector": s, "conn": 8, "multicolour": True, "bg": b} for s in ("largest", "smallest")]
    out = []
    for p in fits:
        out.append(p)
        out.append({**p, "isolate": True})
    return out


def _edit_agreement(kind: str, a: np.ndarray, o: np.ndarray, cells, bg: int, col) -> float:
    """Fraction of cells of `o` that keeping / removing / recolouring the object at `cells` gets right."""
    ys = [p[0] for p in cells]
    xs = [p[1] for p in cells]
    if kind == "keep":
        pred = np.full_like(a, bg)
        pred[ys, xs] = a[ys, xs]
    elif kind == "remove":
        pred = a.copy()
        pred[ys, xs] = bg
    else:
        pred = a.copy()
        pred[ys, xs] = col
    return np.count_nonzero(pred == o) / o.size


@kernel
def _edit_counts_kernel(a, o, cells, starts, keep, bg, v):
    # _edit_agreement's numerator for every component at once: keep (everything else becomes bg)
    # or set the component's cells to v (bg: remove; a colour: recolour)
    w = a.shape[1]
    base = 0
    for y in range(a.shape[0]):
        for x in range(w):
            base += (o[y, x] == bg) if keep else (o[y, x] == a[y, x])
    n = starts.shape[0] - 1
    out = np.empty(n, dtype=np.int64)
    for k in range(n):
        c = base
        for i in range(starts[k], starts[k + 1]):
            y, x = cells[i] // w, cells[i] % w
            if keep:
                c += (a[y, x] == o[y, x]) - (o[y, x] == bg)
            else:
                c += (o[y, x] == v) - (o[y, x] == a[y, x])
        out[k] = c
    return out


def _object_edit_infer(kind: str):
    """Rank (selector, connectivity, bg[, colour]) settings for keep/remove/recolour by rebuilding
    each prediction from cached components — far cheaper than calling the primitive per setting —
    once per distinct chosen object (most selectors agree on which object they pick)."""

    def infer(pairs: Pairs) -> list[dict]:
        if not same_shapes(pairs):
            return []
        scored = []   # (-pairs exact, -summed agreement, rank in setting order, selector, colour, conn, multi, bg)
        chosen = _chosen_of(pairs)
        for b in bg_options(pairs):
            colours = new_colours(pairs, b)[:2] if kind == "recolour" else [None]
            fast = chosen.compiled and plain_ints(b, *(c for c in colours if c is not None))
            for conn, multi in _DEFAULT_SETTINGS:
                picks = chosen.indices(conn, multi, b)
                usable = np.flatnonzero((picks >= 0).all(axis=0))   # selectors that choose in every pair
                if not usable.size:
                    continue
                exact, pix = [], []   # per colour: per usable selector
                for col in colours:
                    n_exact, total = np.zeros(usable.size, dtype=np.int64), np.zeros(usable.size)
                    for j, (_, o) in enumerate(pairs):   # summed pair by pair, as a scalar loop would
                        eq = chosen.agreements(j, conn, multi, b, kind, col, o, picks[j, usable], fast)
                        n_exact += eq == 1.0
                        total += eq
                    exact.append(n_exact.tolist())
                    pix.append(total.tolist())
                for u, s in enumerate(usable.tolist()):
                    for c, col in enumerate(colours):
                        scored.append((-exact[c][u], -pix[c][u], len(scored), SELECTORS[s], col, conn, multi, b))
        out = []
        for *_, sel, col, conn, multi, b in heapq.nsmallest(6, scored):
            p = {"selector": sel, "conn": conn, "multicolour": multi, "bg": b}
            if col is not None:
                p["colour"] = col
            out.append(p)
        return out

    return infer


register(crop_object, category="objects", cost=1.0, infer=_crop_infer, helpers=[_components, _select, _chosen, _boxes],
         description="Find connected objects, choose one (largest, smallest, unique colour or shape, most colours, topmost...) and crop the grid to its bounding box.")
register(keep_object, category="objects", cost=1.3, infer=_object_edit_infer("keep"), helpers=[_components, _select, _chosen],
         description="Keep only one chosen object (largest, smallest, unique...) in place and erase everything else.")
register(remove_object, category="objects", cost=1.3, infer=_object_edit_infer("remove"), helpers=[_components, _select, _chosen],
         description="Erase one chosen object (largest, smallest, unique...) and keep the rest of the grid.")
register(recolour_object, category="objects", cost=1.3, infer=_object_edit_infer("recolour"), helpers=[_components, _select, _chosen],
         description="Recolour one chosen object (largest, smallest, unique shape...) with a single colour.")
register(draw_bboxes, category="objects", cost=1.4, helpers=[_components, _boxes],
         space=lambda pairs: [{"colour": c, "conn": k, "bg": b} for b in bg_options(pairs)
                              for c in new_colours(pairs, b)[:2] for k in (8, 4)],
         keeps_shape=True,
         description="Draw a one-cell rectangle outline around each object's bounding box.")
register(fill_bboxes, category="objects", cost=1.4, helpers=[_components, _boxes],
         space=lambda pairs: [{"colour": c, "conn": k, "bg": b} for b in bg_options(pairs)
                              for c in new_colours(pairs, b)[:2] for k in (8, 4)],
         keeps_shape=True,
         description="Fill the empty (background) cells inside each object's bounding box with a colour.")
register(count_objects_row, category="objects", cost=1.5, helpers=[_components, _colour_counts],
         space=lambda pairs: [{"conn": k, "multicolour": m, "bg": b, "vertical": v} for b in bg_options(pairs)
                              for k, m in _DEFAULT_SETTINGS for v in (False, True)],
         description="Count the objects and output a strip with one cell per object, in the dominant colour.")
