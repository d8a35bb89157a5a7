"""Colour: maps learned from the train pairs, recolouring, keeping/removing colours, recolouring
objects by size."""
from __future__ import annotations

import numpy as np

from .. import compiled
from ..compiled import kernel, kernel_grid
from ..registry import Pairs, cached, mark_cacheable, mark_compiled, register
from ._infer import bg_options, input_colours, new_colours, output_colours, pair_memo, same_shapes


def colour_map(grid, mapping=()):
    g = np.asarray(grid)
    out = g.copy()
    for a, b in mapping:
        out[g == a] = b
    return out


def recolour_nonbg(grid, colour=1, bg=0):
    g = np.asarray(grid)
    return np.where(g != bg, colour, g)


def keep_colour(grid, colour=1, bg=0):
    g = np.asarray(grid)
    return np.where(g == colour, g, bg)


def remove_colour(grid, colour=1, bg=0):
    g = np.asarray(grid)
    return np.where(g == colour, bg, g)


def _components(g, conn, multicolour, bg):
    # connected components of non-background cells, in scan order of their first cell:
    # list of (colour or -1, list of (r, c)), each component's cells in scan order. Small grids:
    # a flood fill from each unvisited cell in scan order. Larger ones: vectorised union-find
    # (hook every edge's two roots to the smaller one, then pointer-jump, until all edges agree;
    # roots end up being the first, smallest flat index, cell of each component).
    g = np.asarray(g)
    h, w = g.shape
    if h * w <= 400:
        vals = g.ravel().tolist()
        seen = [v == bg for v in vals]   # background counts as visited
        steps = [(0, 1), (1, 0), (0, -1), (-1, 0)] + ([(1, 1), (1, -1), (-1, 1), (-1, -1)] if conn == 8 else [])
        comps = []
        for start in range(h * w):
            if seen[start]:
                continue
            seen[start] = True
            col, stack, cells = vals[start], [start], []
            while stack:
                i = stack.pop()
                cells.append(i)
                y, x = divmod(i, w)
                for dy, dx in steps:
                    ny, nx = y + dy, x + dx
                    if 0 <= ny < h and 0 <= nx < w and not seen[ny * w + nx] and (multicolour or vals[ny * w + nx] == col):
                        seen[ny * w + nx] = True
                        stack.append(ny * w + nx)
            cells.sort()
            comps.append((-1 if multicolour else int(col), [divmod(i, w) for i in cells]))
        return comps
    flat = g.ravel()
    fg = flat != bg
    idx = np.arange(h * w).reshape(h, w)
    offs = [(0, 1), (1, 0)] + ([(1, 1), (1, -1)] if conn == 8 else [])
    ea, eb = [], []
    for dy, dx in offs:
        a = idx[: h - dy, max(0, -dx): w - max(0, dx)].ravel()
        b = a + dy * w + dx
        ok = fg[a] & fg[b]
        if not multicolour:
            ok &= flat[a] == flat[b]
        ea.append(a[ok])
        eb.append(b[ok])
    ea = np.concatenate(ea)
    eb = np.concatenate(eb)
    lab = np.arange(h * w)
    while len(ea):
        la, lb = lab[ea], lab[eb]
        if (la == lb).all():
            break
        lo = np.minimum(la, lb)
        np.minimum.at(lab, la, lo)
        np.minimum.at(lab, lb, lo)
        while True:
            nl = lab[lab]
            if (nl == lab).all():
                break
            lab = nl
    cells_idx = np.nonzero(fg)[0]
    if len(cells_idx) == 0:
        return []
    roots = lab[cells_idx]
    order = np.argsort(roots, kind="stable")
    cells_idx, roots = cells_idx[order], roots[order]
    starts = np.nonzero(np.r_[True, roots[1:] != roots[:-1]])[0].tolist() + [len(roots)]
    ys = (cells_idx // w).tolist()
    xs = (cells_idx % w).tolist()
    comps = []
    for i in range(len(starts) - 1):
        s, e = starts[i], starts[i + 1]
        col = -1 if multicolour else int(flat[cells_idx[s]])
        comps.append((col, list(zip(ys[s:e], xs[s:e]))))
    return comps


@kernel
def _components_kernel(g, diag, multicolour, bg):
    # _components' labelling: components of non-background cells numbered in scan order of their
    # first cell; returns every such cell's flat index grouped by component (scan order within
    # each) and where each component's group starts (one more entry: the total)
    h, w = g.shape
    lab = np.full(h * w, -1, dtype=np.int64)
    stack = np.empty(h * w, dtype=np.int64)
    n_comp = 0
    for start in range(h * w):
        if lab[start] >= 0 or g[start // w, start % w] == bg:
            continue
        col = g[start // w, start % w]
        lab[start] = n_comp
        stack[0] = start
        n = 1
        while n > 0:
            n -= 1
            y, x = stack[n] // w, stack[n] % w
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    if (dy == 0 and dx == 0) or (not diag and dy != 0 and dx != 0):
                        continue
                    ny, nx = y + dy, x + dx
                    if 0 <= ny < h and 0 <= nx < w and lab[ny * w + nx] < 0:
                        v = g[ny, nx]
                        if v != bg and (multicolour or v == col):
                            lab[ny * w + nx] = n_comp
                            stack[n] = ny * w + nx
                            n += 1
        n_comp += 1
    starts = np.zeros(n_comp + 1, dtype=np.int64)
    for i in range(h * w):
        if lab[i] >= 0:
            starts[lab[i] + 1] += 1
    for k in range(n_comp):
        starts[k + 1] += starts[k]
    fill = starts[:-1].copy()
    cells = np.empty(starts[n_comp], dtype=np.int64)
    for i in range(h * w):
        if lab[i] >= 0:
            cells[fill[lab[i]]] = i
            fill[lab[i]] += 1
    return cells, starts


def _components_twin(g, conn, multicolour, bg):
    k = kernel_grid(g, conn, multicolour, bg)
    if k is None:
        return _components(g, conn, multicolour, bg)
    g = k
    cells, starts = _components_kernel(g, conn == 8, bool(multicolour), int(bg))
    w = g.shape[1]
    ys, xs = (cells // w).tolist(), (cells % w).tolist()
    cols = [-1] * (len(starts) - 1) if multicolour else g.ravel()[cells[starts[:-1]]].tolist()
    bounds = starts.tolist()
    return [(cols[k], list(zip(ys[bounds[k]:bounds[k + 1]], xs[bounds[k]:bounds[k + 1]])))
            for k in range(len(bounds) - 1)]


mark_compiled(_components, _components_twin)
mark_cacheable(_components)


def recolour_by_size(grid, mapping=(), conn=4, bg=0, default=-1):
    # each single-colour object whose size is in the mapping is painted that colour; others take
    # `default` when it is >= 0 ("objects of size 6 turn red, all others blue")
    g = np.asarray(grid)
    out = g.copy()
    table = {int(s): int(c) for s, c in mapping}
    for _, cells in _components(g, conn, False, bg):
        c = table.get(len(cells), default)
        if c >= 0:
            ys, xs = zip(*cells)
            out[list(ys), list(xs)] = c
    return out


def recolour_by_size_rank(grid, colours=(), conn=4, bg=0):
    # objects sorted largest first (ties: top-left first) take colours[0], colours[1], ...
    g = np.asarray(grid)
    out = g.copy()
    comps = _components(g, conn, False, bg)
    order = sorted(range(len(comps)), key=lambda i: (-len(comps[i][1]), min(comps[i][1])))
    for rank, i in enumerate(order):
        if rank < len(colours):
            ys, xs = zip(*comps[i][1])
            out[list(ys), list(xs)] = colours[rank]
    return out


def _colour_counts(g, bg):
    # the grid's colours other than bg, ascending, and how many cells hold each
    return np.unique(g[g != bg], return_counts=True)


@kernel
def _colour_counts_kernel(g, bg):
    # cells per colour 0..63 other than bg; slot 64 is set where a colour lies outside 0..63
    counts = np.zeros(65, dtype=np.int64)
    for v in g.ravel():
        if v != bg:
            if v < 0 or v > 63:
                counts[64] = 1
                return counts
            counts[v] += 1
    return counts


def _colour_counts_twin(g, bg):
    k = kernel_grid(g, bg)
    counts = None if k is None else _colour_counts_kernel(k, int(bg))
    if counts is None or counts[64]:
        return _colour_counts(g, bg)
    vals = np.flatnonzero(counts[:64])
    return vals, counts[vals]


# every setting of majority_colour_cell and count_objects_row on one grid asks the same counts
mark_compiled(_colour_counts, _colour_counts_twin)
mark_cacheable(_colour_counts)


def majority_colour_cell(grid, which="most", bg=0):
    # a 1x1 grid holding the most (or least) frequent non-background colour
    g = np.asarray(grid)
    vals, counts = _colour_counts(g, bg)
    if len(vals) == 0:
        raise ValueError("no non-background colour")
    k = np.argmax(counts) if which == "most" else np.argmin(counts)
    return np.array([[vals[k]]], dtype=g.dtype)


def apply_legend(grid, direction="rl", bg=0):
    # a legend of two-cell "dominoes" (two different colours side by side) says which colour
    # becomes which: with "rl" the second (right/lower) cell's colour turns into the first's,
    # with "lr" the other way round. The dominoes are erased and the map applied to the rest.
    g = np.asarray(grid)
    out = g.copy()
    mapping = {}
    for _, cells in _components(g, 4, True, bg):
        if len(cells) == 2:
            (y0, x0), (y1, x1) = sorted(cells)
            a, b = int(g[y0, x0]), int(g[y1, x1])
            if a != b:
                src, dst = (b, a) if direction == "rl" else (a, b)
                mapping[src] = dst
                out[y0, x0] = bg
                out[y1, x1] = bg
    if not mapping:
        raise ValueError("no legend found")
    res = out.copy()
    for src, dst in mapping.items():
        res[out == src] = dst
    return res


# ---------------------------------------------------------------- parameter inference


@kernel
def _colour_table_kernel(a, b, table):
    # what each colour 0..9 of `a` becomes in `b`, added to `table` (-1: not seen yet); 0 on the
    # first cell that contradicts it, -1 on a colour outside 0..9, 1 otherwise
    h, w = a.shape
    for y in range(h):
        for x in range(w):
            u, v = a[y, x], b[y, x]
            if u < 0 or u > 9 or v < 0 or v > 9:
                return -1
            if table[u] < 0:
                table[u] = v
            elif table[u] != v:
                return 0
    return 1


def _colour_table(pairs: Pairs) -> list[int] | None:
    """The colour each input colour becomes, one pair at a time, stopping at the first contradiction
    (most calls: the search asks this of every node whose shapes match the outputs). [] for a
    contradiction; None where the kernel does not apply (colours outside 0..9, another dtype)."""
    table = np.full(10, -1, dtype=np.int64)
    for a, b in pairs:
        ka, kb = kernel_grid(a), kernel_grid(b)
        if ka is None or kb is None:
            return None
        found = _colour_table_kernel(ka, kb, table)
        if found <= 0:
            return None if found < 0 else []
    return table.tolist()


def infer_colour_map(pairs: Pairs) -> list[dict]:
    """A cell-wise colour map consistent with every pair (same shapes); identity entries dropped."""
    if not pairs or not same_shapes(pairs):
        return []
    table = _colour_table(pairs) if compiled.ENABLED else None
    if table is not None:
        mapping = [[x, y] for x, y in enumerate(table) if y >= 0 and y != x]
        return [{"mapping": mapping}] if mapping else []
    small = all(a.dtype == b.dtype == np.int64 for a, b in pairs)
    if small:
        a_all = np.concatenate([a.ravel() for a, _ in pairs])
        b_all = np.concatenate([b.ravel() for _, b in pairs])
        small = min(a_all.min(), b_all.min()) >= 0 and max(a_all.max(), b_all.max()) <= 9
    if small:
        # colours 0..9: every (input colour, output colour) pair of cells at once
        seen = (np.bincount(a_all * 10 + b_all, minlength=100).reshape(10, 10) > 0).tolist()
        if any(sum(row) > 1 for row in seen):
            return []
        mapping = [[x, row.index(True)] for x, row in enumerate(seen) if any(row) and not row[x]]
        return [{"mapping": mapping}] if mapping else []
    table: dict[int, int] = {}
    for a, b in pairs:
        for x in np.unique(a).tolist():
            ys = np.unique(b[a == x]).tolist()
            if len(ys) != 1 or table.setdefault(x, ys[0]) != ys[0]:
                return []
    mapping = [[a, b] for a, b in sorted(table.items()) if a != b]
    return [{"mapping": mapping}] if mapping else []


def _recolour_space(pairs: Pairs) -> list[dict]:
    return [{"colour": c, "bg": b} for b in bg_options(pairs) for c in output_colours(pairs, b)[:3]]


def _colour_choice_space(pairs: Pairs) -> list[dict]:
    out = []
    for b in bg_options(pairs):
        out += [{"colour": c, "bg": b} for c in input_colours(pairs) if c != b]
    return out


@pair_memo   # asked for both recolour_by_size and recolour_by_size_rank on each node
def _infer_by_size(pairs: Pairs) -> list[tuple[str, dict]]:
    if not same_shapes(pairs):
        return []
    res = []
    for b in bg_options(pairs):
        for conn in (4, 8):
            table: dict[int, int] = {}
            ranks: dict[int, int] = {}
            ok_size, ok_rank = True, True
            for a, o in pairs:
                comps = cached(_components)(a, conn, False, b)
                order = sorted(range(len(comps)), key=lambda i: (-len(comps[i][1]), min(comps[i][1])))
                for rank, i in enumerate(order):
                    ys, xs = zip(*comps[i][1])
                    cs = o[ys, xs].tolist()   # the object's cells in the output: one colour?
                    c = cs[0]
                    if cs.count(c) != len(cs):
                        ok_size = ok_rank = False
                        break
                    n = len(comps[i][1])
                    if table.setdefault(n, c) != c:
                        ok_size = False
                    if ranks.setdefault(rank, c) != c:
                        ok_rank = False
                if not (ok_size or ok_rank):
                    break
            if ok_size and table:
                # compact form first: the most common target colour as default, the rest listed —
                # it generalises to object sizes never seen in training
                counts: dict[int, int] = {}
                for c in table.values():
                    counts[c] = counts.get(c, 0) + 1
                dflt = max(counts, key=lambda c: counts[c])
                if len(counts) > 1:
                    rest = sorted([[s, c] for s, c in table.items() if c != dflt])
                    res.append(("size", {"mapping": rest, "conn": conn, "bg": b, "default": dflt}))
                res.append(("size", {"mapping": sorted([[s, c] for s, c in table.items()]), "conn": conn, "bg": b}))
            if ok_rank and ranks:
                res.append(("rank", {"colours": [ranks[i] for i in range(len(ranks))], "conn": conn, "bg": b}))
    return res


def _by_size_infer(pairs: Pairs) -> list[dict]:
    return [p for kind, p in _infer_by_size(pairs) if kind == "size"]


def _by_rank_infer(pairs: Pairs) -> list[dict]:
    return [p for kind, p in _infer_by_size(pairs) if kind == "rank"]


register(colour_map, category="colour", cost=1.0, infer=infer_colour_map,
         description="Replace colours cell by cell with a fixed colour-to-colour map learned from the train pairs.")
register(recolour_nonbg, category="colour", cost=1.1, space=_recolour_space,
         keeps_shape=True,
         description="Paint every non-background cell a single colour.")
register(keep_colour, category="colour", cost=1.2, space=_colour_choice_space,
         keeps_shape=True,
         description="Keep only the cells of one colour; everything else becomes background.")
register(remove_colour, category="colour", cost=1.2, space=_colour_choice_space,
         keeps_shape=True,
         description="Erase one colour (turn its cells into background), keeping the rest.")
register(recolour_by_size, category="colour", cost=1.3, infer=_by_size_infer, helpers=[_components],
         description="Recolour each object according to its size (number of cells), with a size-to-colour table learned from the train pairs.")
register(recolour_by_size_rank, category="colour", cost=1.3, infer=_by_rank_infer, helpers=[_components],
         description="Recolour objects by size rank: the largest object gets the first colour, the next largest the second, and so on.")
register(majority_colour_cell, category="colour", cost=1.3, helpers=[_colour_counts],
         space=lambda pairs: [{"which": w, "bg": b} for b in bg_options(pairs) for w in ("most", "least")],
         description="Summarise the grid as a single cell of its most (or least) frequent non-background colour.")
register(apply_legend, category="colour", cost=1.3, helpers=[_components],
         space=lambda pairs: [{"direction": d, "bg": b} for b in bg_options(pairs) for d in ("rl", "lr")],
         keeps_shape=True,
         description="Read a colour legend of two-cell pairs (colour A next to colour B), erase it, and recolour the rest of the grid by that key.")
