"""Local rules: "same shape, a few cells changed" tasks as a learned cellular-automaton step — each
cell's new colour looked up from a code of its neighbourhood, cells with an unlisted code kept."""
from __future__ import annotations

import numpy as np

from .. import compiled
from ..compiled import kernel, kernel_grid
from ..registry import Pairs, mark_compiled, register
from ._infer import bg_options, same_shapes


def _neigh_codes(g, feat, bg):
    # one integer per cell describing its neighbourhood: its own colour plus the 4 (or 8)
    # neighbours' colours ("n4", "n8"), only whether they are filled ("n4b", "n8b"), or its own
    # colour with counts of filled 4- and 8-neighbours ("cnt"); -1 (or 0) off the grid
    g = np.asarray(g)
    h, w = g.shape
    p = np.full((h + 2, w + 2), -1).astype(g.dtype)   # g framed by -1 (cheaper than np.pad)
    p[1:-1, 1:-1] = g
    four = [(0, 1), (2, 1), (1, 0), (1, 2)]
    diag = [(0, 0), (0, 2), (2, 0), (2, 2)]
    offs = four + (diag if feat in ("n8", "n8b", "cnt") else [])
    nb = [p[y:y + h, x:x + w] for y, x in offs]
    code = g.astype(np.int64) + 1
    if feat in ("n4", "n8"):
        for v in nb:
            code = code * 11 + (v + 1)
    elif feat in ("n4b", "n8b"):
        for v in nb:
            code = code * 2 + ((v != bg) & (v >= 0))
    elif feat == "cnt":
        filled = [(v != bg) & (v >= 0) for v in nb]
        code = (code * 5 + sum(filled[:4])) * 5 + sum(filled[4:])
    else:
        raise ValueError(f"unknown feature {feat!r}")
    return code


_FEAT_CODES = ("n4", "n8", "n4b", "n8b", "cnt")   # _neigh_codes_kernel's feat argument: an index here


@kernel
def _neigh_codes_kernel(g, feat, bg):
    # _neigh_codes cell by cell: the same neighbours in the same order, -1 off the grid
    h, w = g.shape
    offs = np.array([[-1, 0], [1, 0], [0, -1], [0, 1], [-1, -1], [-1, 1], [1, -1], [1, 1]])
    n = 4 if feat == 0 or feat == 2 else 8
    out = np.empty((h, w), dtype=np.int64)
    for y in range(h):
        for x in range(w):
            code = g[y, x] + 1
            f4 = 0
            f8 = 0
            for i in range(n):
                ny, nx = y + offs[i, 0], x + offs[i, 1]
                v = g[ny, nx] if 0 <= ny < h and 0 <= nx < w else -1
                if feat <= 1:
                    code = code * 11 + (v + 1)
                else:
                    filled = 1 if (v != bg and v >= 0) else 0
                    if feat <= 3:
                        code = code * 2 + filled
                    elif i < 4:
                        f4 += filled
                    else:
                        f8 += filled
            if feat == 4:
                code = (code * 5 + f4) * 5 + f8
            out[y, x] = code
    return out


def _neigh_codes_twin(g, feat, bg):
    k = kernel_grid(g, bg)
    if k is None or feat not in _FEAT_CODES:
        return _neigh_codes(g, feat, bg)
    return _neigh_codes_kernel(k, _FEAT_CODES.index(feat), int(bg))


mark_compiled(_neigh_codes, _neigh_codes_twin)
_codes = _neigh_codes_twin if compiled.ENABLED else _neigh_codes   # for inference


def local_rule(grid, rules=(), feat="n4", bg=0):
    # one synchronous update: a cell whose neighbourhood code is in `rules` takes that colour
    g = np.asarray(grid)
    code = _neigh_codes(g, feat, bg)
    out = g.copy()
    for c, colour in rules:
        out[code == c] = colour
    return out


# ---------------------------------------------------------------- parameter inference

FEATS = ("n4b", "cnt", "n8b", "n4", "n8")


def _table(pairs, feat, bg):
    # code -> new colour over the cells that change; None if a code both changes and stays, or
    # changes to two colours (the rule would not be a function of the neighbourhood)
    table: dict[int, int] = {}
    keep: set[int] = set()
    for a, b in pairs:
        code = _codes(a, feat, bg)
        ch = a != b
        for c, v in zip(code[ch].tolist(), b[ch].tolist()):
            if table.setdefault(c, v) != v:
                return None
        keep.update(np.unique(code[~ch]).tolist())
    if keep & set(table):
        return None
    return table


def _rule_infer(pairs: Pairs) -> list[dict]:
    """Tables learned per feature, kept only when they generalise across pairs: with 2+ pairs, a
    table built without one pair must reproduce that pair (no memorised one-off changes)."""
    pairs = list(pairs)
    if not same_shapes(pairs) or all(np.array_equal(a, b) for a, b in pairs):
        return []
    out = []
    for b in bg_options(pairs):
        for feat in FEATS:
            table = _table(pairs, feat, b)
            if not table or len(table) > 64:
                continue
            if len(pairs) >= 2:
                ok = True
                for i in range(len(pairs)):
                    rest = _table(pairs[:i] + pairs[i + 1:], feat, b)
                    a, o = pairs[i]
                    if rest is None:
                        ok = False
                        break
                    code = _codes(a, feat, b)
                    pred = a.copy()
                    for c, v in rest.items():
                        pred[code == c] = v
                    if not np.array_equal(pred, o):
                        ok = False
                        break
                if not ok:
                    continue
            out.append({"rules": sorted([c, v] for c, v in table.items()), "feat": feat, "bg": b})
    return out


register(local_rule, category="rules", cost=1.4, infer=_rule_infer, helpers=[_neigh_codes],
         description="Apply a local rule learned from the train pairs: each cell's new colour is decided by its own colour and its neighbours' (a cellular-automaton step); other cells stay as they are.")
