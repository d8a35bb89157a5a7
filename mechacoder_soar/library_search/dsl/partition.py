"""Partition: split a grid into cells by separator lines (or into equal parts), then combine the
cells (boolean overlay, stacking), pick one, or summarise each as a pixel."""
from __future__ import annotations

import numpy as np

from ..compiled import kernel, kernel_grid
from ..registry import Pairs, cached, mark_cacheable, mark_compiled, register
from ._infer import bg_options, output_colours, pair_memo
from .colour import _colour_counts


def _split(g, parts):
    # parts="sep": cut along full rows/columns of one colour; "h2"/"v3"...: equal horizontal
    # (side by side) or vertical (stacked) parts, with a one-line separator allowed between them;
    # "q4": 2 x 2 quadrants
    h, w = g.shape
    if parts == "sep":
        # candidate separator colours: those with full rows/columns; best is the one giving
        # equal-shaped cells, then more lines, then a non-zero colour (blank rows are usually background)
        best, best_key = None, None
        rowc = np.where((g == g[:, :1]).all(axis=1), g[:, 0], -1)
        colc = np.where((g == g[:1]).all(axis=0), g[0], -1)
        for c in sorted((set(rowc.tolist()) | set(colc.tolist())) - {-1}):
            rows = np.nonzero(rowc == c)[0].tolist()
            cols = np.nonzero(colc == c)[0].tolist()
            if (not rows and not cols) or len(rows) == h or len(cols) == w:
                continue
            rb = [-1] + rows + [h]
            cb = [-1] + cols + [w]
            cells = []
            for i in range(len(rb) - 1):
                row = []
                for j in range(len(cb) - 1):
                    if rb[i + 1] - rb[i] > 1 and cb[j + 1] - cb[j] > 1:
                        row.append(g[rb[i] + 1:rb[i + 1], cb[j] + 1:cb[j + 1]])
                if row:
                    cells.append(row)
            if not cells or sum(len(r) for r in cells) < 2:
                continue
            equal = len({x.shape for r in cells for x in r}) == 1
            key = (equal, len(rows) + len(cols), c != 0)
            if best_key is None or key > best_key:
                best, best_key = cells, key
        if best is None:
            raise ValueError("no separators")
        return best
    if parts == "q4":
        # 2 x 2 equal quadrants, with a one-line separator allowed between them
        quads = None
        for sy in (0, 1):
            for sx in (0, 1):
                if quads is None and (h - sy) % 2 == 0 and (w - sx) % 2 == 0 and h - sy >= 2 and w - sx >= 2:
                    ky, kx = (h - sy) // 2, (w - sx) // 2
                    quads = [[g[y:y + ky, x:x + kx] for x in (0, kx + sx)] for y in (0, ky + sy)]
        if quads is None:
            raise ValueError("grid does not split into quadrants")
        return quads
    n = int(parts[1:])
    size = h if parts[0] == "v" else w
    for sep in (0, 1):
        if (size - sep * (n - 1)) % n == 0:
            k = (size - sep * (n - 1)) // n
            if k == 0:
                continue
            starts = [i * (k + sep) for i in range(n)]
            if parts[0] == "v":
                return [[g[s:s + k]] for s in starts]
            return [[g[:, s:s + k] for s in starts]]
    raise ValueError("grid does not split evenly")


mark_cacheable(_split)


def cells_overlay(grid, parts="sep", op="and", colour=1, bg=0):
    # combine equal-size cells: boolean op over their non-background masks painted in `colour`,
    # or "stack"/"stack_rev": later (earlier) cells drawn over the others
    g = np.asarray(grid)
    cells = [c for row in _split(g, parts) for c in row]
    if len({c.shape for c in cells}) != 1:
        raise ValueError("cells differ in shape")
    if op in ("stack", "stack_rev"):
        seq = cells if op == "stack" else cells[::-1]
        out = np.full_like(seq[0], bg)
        for c in seq:
            out[c != bg] = c[c != bg]
        return out
    ms = [c != bg for c in cells]
    if op == "and":
        m = np.logical_and.reduce(ms)
    elif op == "or":
        m = np.logical_or.reduce(ms)
    elif op == "xor":
        m = np.sum(ms, axis=0) == 1
    elif op == "nor":
        m = ~np.logical_or.reduce(ms)
    elif op == "first_only":
        m = ms[0] & ~np.logical_or.reduce(ms[1:])
    elif op == "last_only":
        m = ms[-1] & ~np.logical_or.reduce(ms[:-1])
    else:
        raise ValueError(f"unknown op {op!r}")
    return np.where(m, colour, bg)


def select_cell(grid, parts="sep", which="most_filled", bg=0):
    g = np.asarray(grid)
    cells = [c for row in _split(g, parts) for c in row]
    # each measure is taken only for the choice that needs it; ties go to the first cell
    if which in ("most_filled", "least_filled"):
        filled = [int(np.count_nonzero(c != bg)) for c in cells]
        return cells[filled.index(max(filled) if which == "most_filled" else min(filled))]
    if which in ("most_colours", "least_colours"):
        ncol = [len(_colour_counts(c, bg)[0]) for c in cells]
        return cells[ncol.index(max(ncol) if which == "most_colours" else min(ncol))]
    keys = [c.tobytes() + bytes(str(c.shape), "ascii") for c in cells]
    if which == "unique":
        idx = [i for i in range(len(cells)) if keys.count(keys[i]) == 1]
        if len(idx) != 1:
            raise ValueError("no unique cell")
        return cells[idx[0]]
    if which == "common":
        return cells[max(range(len(cells)), key=lambda i: keys.count(keys[i]))]
    if which in ("first", "last"):
        return cells[0 if which == "first" else -1]
    raise ValueError(f"unknown choice {which!r}")


def _majority(c, bg):
    # the most common non-background colour of a cell (the smallest of any tied), bg where none
    v = c[c != bg]
    if len(v) == 0:
        return bg
    vals, counts = np.unique(v, return_counts=True)
    return vals[np.argmax(counts)]


def cells_summary(grid, bg=0):
    # each separator-delimited cell becomes one pixel: its most common non-background colour
    g = np.asarray(grid)
    cells = _split(g, "sep")
    if len({len(r) for r in cells}) != 1:
        raise ValueError("ragged cell layout")
    out = np.full((len(cells), len(cells[0])), bg, dtype=g.dtype)
    for i, row in enumerate(cells):
        for j, c in enumerate(row):
            out[i, j] = _majority(c, bg)
    return out


@kernel
def _majority_kernel(c, bg):
    # -1 where a non-background colour is outside 0..63 (the caller counts the Python way). It
    # counts as colour.py's _colour_counts_kernel does, but returns one colour, not an array: it
    # runs once per cell, and boxing an array and reading it back doubled cells_summary's time
    counts = np.zeros(64, dtype=np.int64)
    for v in c.ravel():
        if v != bg:
            if v < 0 or v > 63:
                return -1
            counts[v] += 1
    best = bg
    for v in range(64):
        if counts[v] > 0 and (best == bg or counts[v] > counts[best]):
            best = v
    return best


def _majority_twin(c, bg):
    k = kernel_grid(c, bg)
    found = -1 if k is None else _majority_kernel(k, int(bg))
    return _majority(c, bg) if found < 0 else found


mark_compiled(_majority, _majority_twin)


def remove_separators(grid):
    g = np.asarray(grid)
    cells = _split(g, "sep")
    return np.vstack([np.hstack(row) for row in cells])


PARTS = ("sep", "h2", "v2", "q4", "h3", "v3", "h4", "v4")


def _overlay_space(pairs: Pairs) -> list[dict]:
    res = []
    for b in bg_options(pairs):
        cols = output_colours(pairs, b)[:1] or [1]
        for parts in PARTS:
            for op in ("and", "or", "xor", "nor", "first_only", "last_only"):
                res.append({"parts": parts, "op": op, "colour": cols[0], "bg": b})
            for op in ("stack", "stack_rev"):
                res.append({"parts": parts, "op": op, "colour": 0, "bg": b})
    return res


@pair_memo
def pair_splits(pairs: Pairs) -> dict[str, list | None]:
    """Per way of splitting (PARTS): every input's cells, or None where an input does not split
    that way. Every partition primitive's inference on a node asks this (kept in the node's memo)."""
    out: dict[str, list | None] = {}
    for parts in PARTS:
        try:
            out[parts] = [cached(_split)(a, parts) for a, _ in pairs]
        except Exception:
            out[parts] = None
    return out


def _overlay_filter(pairs: Pairs) -> list[dict]:
    # only settings whose cell shape equals the output shape are worth trying (a property of the
    # partition alone, so checked once per partition)
    splits = pair_splits(pairs)
    fits = {parts: cells is not None and all(c[0][0].shape == o.shape for c, (_, o) in zip(cells, pairs))
            for parts, cells in splits.items()}
    if not any(fits.values()):
        return []
    return [p for p in _overlay_space(pairs) if fits[p["parts"]]]


def _select_space(pairs: Pairs) -> list[dict]:
    usable = [parts for parts, cells in pair_splits(pairs).items() if cells is not None]
    res = []
    for b in bg_options(pairs) if usable else []:
        for parts in usable:
            res += [{"parts": parts, "which": w, "bg": b} for w in (
                "most_filled", "least_filled", "most_colours", "least_colours", "unique", "common", "first", "last")]
    return res


def _cell_shape(params: dict, a: np.ndarray) -> tuple[int, int] | None:
    """select_cell's output shape where every cell of the split has the same one."""
    shapes = {c.shape for row in cached(_split)(a, params.get("parts", "sep")) for c in row}
    return shapes.pop() if len(shapes) == 1 else None


register(cells_overlay, category="partition", cost=1.0, space=_overlay_filter, helpers=[_split],
         description="Split the grid into equal cells (by separator lines or halves/thirds) and overlay them: AND/OR/XOR/NOR of their filled cells in one colour, or stack them.")
register(select_cell, category="partition", cost=1.1, space=_select_space, helpers=[_split, _colour_counts],
         out_shape=_cell_shape,
         description="Split the grid into cells by separator lines (or equal parts) and pick one: most/least filled, most colours, the odd one out...")
register(cells_summary, category="partition", cost=1.2, helpers=[_split, _majority],
         space=lambda pairs: [{"bg": b} for b in bg_options(pairs)],
         description="Split the grid by separator lines and summarise each cell as one pixel of its main colour.")
register(remove_separators, category="partition", cost=1.3, helpers=[_split],
         description="Delete the separator lines of a partitioned grid, joining the cells together.")
