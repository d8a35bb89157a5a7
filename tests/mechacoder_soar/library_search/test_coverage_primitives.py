"""Inference for the mosaic / block / count / priority / per-object / local-rule primitives, the
vectorised connected components against a plain flood fill, and the memoised in-process helpers
agreeing with the standalone sources."""
from __future__ import annotations

import numpy as np
import pytest

from mechacoder_soar.library_search.dsl.colour import _components
from mechacoder_soar.library_search.primitives import PRIMITIVES
from mechacoder_soar.library_search.registry import cached, compile_source
from mechacoder_soar.library_search.search import SearchConfig, search

from .test_primitives import CASES


def A(x):
    return np.array(x, dtype=np.int64)


def infer(name, pairs):
    return PRIMITIVES[name].infer([(A(a), A(b)) for a, b in pairs])


def _flood(g, conn, multi, bg):
    # reference: breadth-first flood fill in scan order
    h, w = g.shape
    seen = np.zeros_like(g, dtype=bool)
    nb = [(-1, 0), (1, 0), (0, -1), (0, 1)] + ([(-1, -1), (-1, 1), (1, -1), (1, 1)] if conn == 8 else [])
    out = []
    for r in range(h):
        for c in range(w):
            if seen[r, c] or g[r, c] == bg:
                continue
            seen[r, c] = True
            stack, cells = [(r, c)], []
            while stack:
                y, x = stack.pop()
                cells.append((y, x))
                for dy, dx in nb:
                    ny, nx = y + dy, x + dx
                    if (0 <= ny < h and 0 <= nx < w and not seen[ny, nx] and g[ny, nx] != bg
                            and (multi or g[ny, nx] == g[r, c])):
                        seen[ny, nx] = True
                        stack.append((ny, nx))
            out.append((-1 if multi else int(g[r, c]), sorted(cells)))
    return out


def test_vectorised_components_match_flood_fill():
    rng = np.random.default_rng(0)
    grids = [rng.integers(0, k, (h, w)) for k, h, w in [(2, 1, 1), (2, 7, 9), (3, 12, 5), (4, 30, 30), (2, 30, 30)]]
    snake = np.zeros((15, 15), dtype=np.int64)  # one long winding component: many union rounds
    snake[::2] = 1
    snake[1::4, -1] = 1
    snake[3::4, 0] = 1
    grids.append(snake)
    for g in grids:
        for conn in (4, 8):
            for multi in (True, False):
                for bg in (0, 1):
                    got = [(c, sorted(cells)) for c, cells in _components(g, conn, multi, bg)]
                    assert got == _flood(g, conn, multi, bg)
    assert len(_components(snake, 4, False, 0)) == 1


def test_memoised_helper_returns_same_answer_and_replays_errors():
    g = A([[1, 0, 1], [1, 0, 0]])
    memo = cached(_components)
    assert memo(g, 4, False, 0) is memo(g.copy(), 4, False, 0)  # second call is a cache hit
    from mechacoder_soar.library_search.dsl.partition import _split
    with pytest.raises(ValueError):
        cached(_split)(A([[1, 2], [3, 4]]), "sep")
    with pytest.raises(ValueError):  # the cached failure is raised again, not swallowed
        cached(_split)(A([[1, 2], [3, 4]]), "sep")


def test_memo_keys_a_grid_by_its_contents_dtype_and_settings():
    """A C-ordered grid (keyed inline) and a view with the same cells (keyed by `_memo_key`) share
    one entry; other cells, another dtype or other settings get their own."""
    memo = cached(_components)
    g = np.ascontiguousarray(A([[2, 0, 2, 0], [2, 0, 0, 5]]))
    wide = np.concatenate([g, g], axis=1)
    view = wide[:, :4]
    assert not view.flags.c_contiguous
    first = memo(g, 8, True, 0)
    assert memo(view, 8, True, 0) is first
    assert memo(g.astype(np.int32), 8, True, 0) is not first
    assert memo(g, 4, True, 0) is not first and memo(g, 8, True, 2) is not first
    other = g.copy()
    other[1, 3] = 0
    assert memo(other, 8, True, 0) != first


@pytest.mark.parametrize("name,params,grid,expected", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_in_process_fn_matches_standalone_source(name, params, grid, expected):
    standalone = compile_source(name, PRIMITIVES[name].source)
    assert np.array_equal(PRIMITIVES[name].fn(A(grid), **params), standalone(A(grid), **params))


def test_mosaic_layout_inferred_per_block():
    g = [[1, 2], [3, 4]]
    out = np.vstack([np.hstack([A(g), np.rot90(A(g))]), np.hstack([A(g)[::-1], A(g)[:, ::-1]])]).tolist()
    assert infer("mosaic", [(g, out)]) == [{"layout": [[0, 1], [5, 4]]}]
    assert infer("mosaic", [(g, [[9] * 4] * 4)]) == []


def test_cell_to_block_learns_one_block_per_colour_and_rejects_conflicts():
    pairs = [([[5, 0]], [[1, 2, 0, 0], [2, 1, 0, 0]]), ([[0, 5]], [[0, 0, 1, 2], [0, 0, 2, 1]])]
    assert infer("cell_to_block", pairs) == [{"blocks": [[0, [[0, 0], [0, 0]]], [5, [[1, 2], [2, 1]]]]}]
    assert infer("cell_to_block", [([[5, 5]], [[1, 2, 2, 1]])]) == []
    # a colour seen once gives no evidence its block is a rule: a 1x1 input is not "learned"
    assert infer("cell_to_block", [([[5]], [[1, 2], [3, 4]]), ([[0, 0]], [[0, 0, 0, 0], [0, 0, 0, 0]])]) == []


def test_tile_by_count_finds_the_count():
    pairs = [([[1, 1, 2]], np.tile(A([[1, 1, 2]]), (2, 2)).tolist()),
             ([[3, 1, 2, 2]], np.tile(A([[3, 1, 2, 2]]), (3, 3)).tolist())]
    found = infer("tile_by_count", pairs)
    assert {"what": "colours", "how": "tile", "bg": 0} in found
    assert all(p["what"] == "colours" for p in found)


def _stack(*cells):
    # 1x2 cells stacked with separator rows of 5 between them
    rows = []
    for c in cells:
        rows += [list(c), [5, 5]]
    return rows[:-1]


# three cells; cell 2 beats cell 0 beats cell 1
PRIORITY_PAIRS = [(_stack([1, 0], [8, 8], [0, 6]), [[1, 6]]), (_stack([1, 1], [8, 0], [6, 0]), [[6, 1]]),
                  (_stack([0, 1], [8, 8], [0, 0]), [[8, 1]])]


def test_cells_priority_order_inferred():
    assert infer("cells_priority", PRIORITY_PAIRS)[0] == {"parts": "sep", "order": [2, 0, 1], "bg": 0}


def test_local_rule_learns_a_generalising_table_only():
    # a filled cell paints the background cell to its right with 7
    pairs = [([[4, 0, 0], [0, 0, 0]], [[4, 7, 0], [0, 0, 0]]),
             ([[0, 0, 0], [0, 3, 0]], [[0, 0, 0], [0, 3, 7]])]
    best = infer("local_rule", pairs)[0]
    out = PRIMITIVES["local_rule"].fn(A([[0, 0], [2, 0]]), **best)
    assert out.tolist() == [[0, 0], [2, 7]]
    # a change seen in one pair only cannot be checked against another pair: rejected
    one_off = [([[4, 0, 0]], [[4, 7, 0]]), ([[0, 0, 0]], [[0, 0, 0]]), ([[0, 0, 5]], [[0, 0, 5]])]
    assert all(p["feat"] != "n8" for p in infer("local_rule", one_off))


def test_slide_objects_infers_direction():
    pairs = [([[1, 0], [0, 0], [0, 0]], [[0, 0], [0, 0], [1, 0]]),
             ([[0, 2], [0, 0], [0, 0]], [[0, 0], [0, 0], [0, 2]])]
    assert infer("slide_objects", pairs)[0]["direction"] == "down"


def test_search_solves_a_priority_overlay_task():
    res = search(PRIORITY_PAIRS, [_stack([0, 0], [8, 8], [6, 0])], SearchConfig(max_depth=1, time_limit_s=5))
    assert res.solved and res.candidates[0].test_outputs == [[[6, 8]]]
