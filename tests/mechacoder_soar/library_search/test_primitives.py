"""Each primitive on a small constructed grid, plus the library-wide contracts (self-contained
sources, descriptions, categories)."""
from __future__ import annotations

import numpy as np
import pytest

from mechacoder_soar.library_search.primitives import CATEGORIES, PRIMITIVES, run_steps
from mechacoder_soar.library_search.registry import compile_source, register

G = [[1, 2, 0],
     [0, 3, 0]]

# (primitive, params, input, expected output)
CASES = [
    ("flip_lr", {}, G, [[0, 2, 1], [0, 3, 0]]),
    ("flip_ud", {}, G, [[0, 3, 0], [1, 2, 0]]),
    ("rot90", {}, G, [[0, 0], [2, 3], [1, 0]]),
    ("rot180", {}, G, [[0, 3, 0], [0, 2, 1]]),
    ("rot270", {}, G, [[0, 1], [3, 2], [0, 0]]),
    ("transpose", {}, G, [[1, 0], [2, 3], [0, 0]]),
    ("anti_transpose", {}, G, [[0, 0], [3, 2], [0, 1]]),
    ("crop_to_content", {"bg": 0}, [[0, 0, 0], [0, 5, 0], [0, 5, 5]], [[5, 0], [5, 5]]),
    ("scale_up", {"ky": 2, "kx": 1}, [[1, 2]], [[1, 2], [1, 2]]),
    ("scale_down", {"ky": 2, "kx": 2}, [[1, 1, 2, 2], [1, 1, 2, 2]], [[1, 2]]),
    ("tile", {"ny": 1, "nx": 2}, [[1, 2]], [[1, 2, 1, 2]]),
    ("mirror_concat", {"mode": "right"}, [[1, 2]], [[1, 2, 2, 1]]),
    ("mirror_concat", {"mode": "up"}, [[1], [2]], [[2], [1], [1], [2]]),
    ("mirror_concat", {"mode": "quad"}, [[1, 2]], [[1, 2, 2, 1], [1, 2, 2, 1]]),
    ("self_kron", {"invert": False, "bg": 0}, [[1, 0], [0, 1]],
     [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]),
    ("self_kron", {"colour": 2}, [[2, 0], [0, 0]], [[2, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]),
    ("crop_to_colour", {"colour": 4, "inner": False}, [[0, 4, 4, 4], [0, 4, 1, 4], [0, 4, 4, 4]],
     [[4, 4, 4], [4, 1, 4], [4, 4, 4]]),
    ("crop_to_colour", {"colour": 4, "inner": True}, [[0, 4, 4, 4], [0, 4, 1, 4], [0, 4, 4, 4]], [[1]]),
    ("remove_border", {}, [[1, 1, 1], [1, 5, 1], [1, 1, 1]], [[5]]),
    ("dedup_rows_cols", {}, [[1, 1, 2], [1, 1, 2], [3, 3, 3]], [[1, 2], [3, 3]]),
    ("take_half", {"which": "left"}, [[1, 2, 3, 4]], [[1, 2]]),
    ("colour_map", {"mapping": [[1, 2], [2, 1]]}, [[1, 2, 3]], [[2, 1, 3]]),
    ("recolour_nonbg", {"colour": 4, "bg": 0}, G, [[4, 4, 0], [0, 4, 0]]),
    ("keep_colour", {"colour": 2, "bg": 0}, G, [[0, 2, 0], [0, 0, 0]]),
    ("remove_colour", {"colour": 2, "bg": 0}, G, [[1, 0, 0], [0, 3, 0]]),
    ("recolour_by_size", {"mapping": [[1, 7], [2, 8]], "conn": 4, "bg": 0},
     [[5, 0, 5], [5, 0, 0]], [[8, 0, 7], [8, 0, 0]]),
    ("recolour_by_size", {"mapping": [[1, 7]], "conn": 4, "bg": 0, "default": 3},
     [[5, 0, 5], [5, 0, 0]], [[3, 0, 7], [3, 0, 0]]),
    ("connect_same_colour", {"diagonal": True, "bg": 0}, [[4, 0, 0], [0, 0, 0], [0, 0, 4]], [[4, 0, 0], [0, 4, 0], [0, 0, 4]]),
    ("recolour_by_size_rank", {"colours": [1, 2], "conn": 4, "bg": 0},
     [[5, 0, 5], [5, 0, 0]], [[1, 0, 2], [1, 0, 0]]),
    ("majority_colour_cell", {"which": "most", "bg": 0}, [[1, 2, 2], [0, 0, 0]], [[2]]),
    ("crop_object", {"selector": "largest", "conn": 8, "multicolour": True, "bg": 0},
     [[1, 0, 0, 0], [0, 0, 2, 2], [0, 0, 2, 3]], [[2, 2], [2, 3]]),
    ("crop_object", {"selector": "unique_colour", "conn": 4, "multicolour": False, "bg": 0},
     [[1, 0, 1], [0, 0, 0], [4, 4, 0]], [[4, 4]]),
    ("crop_object", {"selector": "smallest", "conn": 4, "multicolour": False, "bg": 0, "isolate": True},
     [[1, 1, 0], [0, 0, 0], [0, 0, 6]], [[6]]),
    ("keep_object", {"selector": "largest", "conn": 4, "multicolour": False, "bg": 0},
     [[1, 0, 2], [0, 0, 2]], [[0, 0, 2], [0, 0, 2]]),
    ("remove_object", {"selector": "largest", "conn": 4, "multicolour": False, "bg": 0},
     [[1, 0, 2], [0, 0, 2]], [[1, 0, 0], [0, 0, 0]]),
    ("recolour_object", {"selector": "smallest", "colour": 9, "conn": 4, "multicolour": False, "bg": 0},
     [[1, 0, 2], [0, 0, 2]], [[9, 0, 2], [0, 0, 2]]),
    ("draw_bboxes", {"colour": 3, "conn": 8, "bg": 0},
     [[0, 0, 0], [0, 1, 0], [0, 0, 0]], [[3, 3, 3], [3, 1, 3], [3, 3, 3]]),
    ("fill_bboxes", {"colour": 4, "conn": 8, "bg": 0}, [[1, 0], [0, 1]], [[1, 4], [4, 1]]),
    ("count_objects_row", {"conn": 8, "multicolour": True, "bg": 0, "vertical": False},
     [[2, 0, 2], [0, 0, 0], [2, 0, 0]], [[2, 2, 2]]),
    ("fill_enclosed", {"colour": 4, "bg": 0},
     [[1, 1, 1, 0], [1, 0, 1, 0], [1, 1, 1, 0]], [[1, 1, 1, 0], [1, 4, 1, 0], [1, 1, 1, 0]]),
    ("halo", {"colour": 2, "diag": False, "bg": 0},
     [[0, 0, 0], [0, 1, 0], [0, 0, 0]], [[0, 2, 0], [2, 1, 2], [0, 2, 0]]),
    ("hollow", {"bg": 0}, [[1, 1, 1], [1, 1, 1], [1, 1, 1]], [[1, 1, 1], [1, 0, 1], [1, 1, 1]]),
    ("fill_interior", {"colour": 2, "bg": 0}, [[1, 1, 1], [1, 1, 1], [1, 1, 1]],
     [[1, 1, 1], [1, 2, 1], [1, 1, 1]]),
    ("rays", {"directions": "right", "stop": False, "colour": -1, "bg": 0}, [[0, 3, 0, 0]], [[0, 3, 3, 3]]),
    ("rays", {"directions": "h", "stop": True, "colour": -1, "bg": 0}, [[0, 3, 0, 1]], [[3, 3, 1, 1]]),
    ("connect_same_colour", {"diagonal": False, "bg": 0},
     [[2, 0, 0, 2], [0, 0, 0, 0], [5, 0, 0, 0]], [[2, 2, 2, 2], [0, 0, 0, 0], [5, 0, 0, 0]]),
    ("draw_frame", {"colour": 8}, [[0, 0, 0], [0, 0, 0], [0, 0, 0]], [[8, 8, 8], [8, 0, 8], [8, 8, 8]]),
    ("gravity", {"direction": "down", "bg": 0}, [[1, 2], [0, 0], [3, 0]], [[0, 0], [1, 0], [3, 2]]),
    ("gravity", {"direction": "left", "bg": 0}, [[0, 1, 0, 2]], [[1, 2, 0, 0]]),
    ("sort_lines", {"axis": "rows", "descending": True, "bg": 0}, [[1, 0], [1, 1]], [[1, 1], [1, 0]]),
    ("symmetrize", {"mode": "lr", "bg": 0}, [[1, 2, 0]], [[1, 2, 1]]),
    ("repair_masked", {"mode": "lr", "mask": 0}, [[1, 2, 3, 0, 1]], [[1, 2, 3, 2, 1]]),
    ("repair_masked", {"mode": "periodic", "mask": 0}, [[1, 2, 1, 2, 0, 0]], [[1, 2, 1, 2, 1, 2]]),
    ("crop_repaired", {"mode": "periodic", "mask": 7}, [[1, 2, 3, 1, 7, 3]], [[2]]),
    ("remove_small_objects", {"max_size": 1, "conn": 8, "bg": 0},
     [[1, 1, 0, 0], [0, 0, 0, 2]], [[1, 1, 0, 0], [0, 0, 0, 0]]),
    ("replace_noise", {"noise": 5}, [[1, 1, 1], [1, 5, 1], [1, 1, 1]], [[1, 1, 1], [1, 1, 1], [1, 1, 1]]),
    ("majority_filter", {}, [[1, 1, 1], [1, 2, 1], [1, 1, 1]], [[1, 1, 1], [1, 1, 1], [1, 1, 1]]),
    ("cells_overlay", {"parts": "sep", "op": "and", "colour": 3, "bg": 0},
     [[1, 0, 5, 1, 1], [1, 1, 5, 0, 1]], [[3, 0], [0, 3]]),
    ("cells_overlay", {"parts": "h2", "op": "xor", "colour": 3, "bg": 0}, [[1, 0, 1, 1]], [[0, 3]]),
    ("cells_overlay", {"parts": "v2", "op": "stack", "colour": 0, "bg": 0}, [[1, 0], [0, 2]], [[1, 2]]),
    ("select_cell", {"parts": "sep", "which": "most_filled", "bg": 0},
     [[1, 0, 5, 2, 2], [0, 0, 5, 2, 0]], [[2, 2], [2, 0]]),
    ("cells_summary", {"bg": 0}, [[1, 1, 5, 0, 0], [5, 5, 5, 5, 5], [0, 0, 5, 2, 0]], [[1, 0], [0, 2]]),
    ("remove_separators", {}, [[1, 5, 2], [5, 5, 5], [3, 5, 4]], [[1, 2], [3, 4]]),
    # tiling / mosaics
    ("mosaic", {"layout": [[0, 4]]}, [[1, 2]], [[1, 2, 2, 1]]),
    ("mosaic", {"layout": [[0], [2]]}, [[1, 2], [0, 3]], [[1, 2], [0, 3], [3, 0], [2, 1]]),
    ("cell_to_block", {"blocks": [[0, [[0, 0]]], [5, [[1, 2]]]]}, [[5, 0]], [[1, 2, 0, 0]]),
    ("tile_by_count", {"what": "colours", "how": "tile", "bg": 0}, [[1, 2]], [[1, 2, 1, 2], [1, 2, 1, 2]]),
    ("tile_by_count", {"what": "cells", "how": "scale", "bg": 0}, [[3, 0, 3]],
     [[3, 3, 0, 0, 3, 3], [3, 3, 0, 0, 3, 3]]),
    ("cells_priority", {"parts": "h2", "order": [1, 0], "bg": 0}, [[1, 1, 0, 2]], [[1, 2]]),
    ("cells_priority", {"parts": "h2", "order": [0, 1], "bg": 0}, [[1, 1, 0, 2]], [[1, 1]]),
    ("cells_priority", {"parts": "q4", "order": [3, 0, 1, 2], "bg": 0}, [[1, 0], [0, 4]], [[4]]),
    ("scale_down_any", {"ky": 2, "kx": 2, "bg": 0}, [[0, 0, 0, 0], [0, 3, 0, 0]], [[3, 0]]),
    # bg=-1: the dominant colour (here 9) is the background
    ("scale_down_any", {"ky": 2, "kx": 1, "bg": -1}, [[9, 0, 9], [9, 9, 9]], [[9, 0, 9]]),
    ("count_fill", {"colour": 4, "what": "cells", "h": 2, "w": 2, "order": "rows", "bg": 0},
     [[4, 0, 4], [0, 4, 1]], [[4, 4], [4, 0]]),
    # the rarest colour (2) counted inside the frame of 1s: one inside, the one outside ignored
    ("count_fill", {"colour": -1, "what": "in_box", "h": 1, "w": 3, "order": "rows", "bg": 0},
     [[1, 1, 1, 0], [1, 2, 1, 2], [1, 1, 1, 0]], [[2, 0, 0]]),
    ("count_fill", {"colour": 3, "what": "objects", "h": 3, "w": 3, "order": "diag", "bg": 0, "paint": 1},
     [[3, 3, 0, 0], [0, 0, 0, 3]], [[1, 0, 0], [0, 1, 0], [0, 0, 0]]),
    # legend "3 next to 1" (1 becomes 3) and "6 next to 5" (5 becomes 6), then erased
    ("apply_legend", {"direction": "rl", "bg": 0}, [[3, 1, 0, 6], [0, 0, 0, 5], [1, 1, 5, 0]],
     [[0, 0, 0, 0], [0, 0, 0, 0], [3, 3, 6, 0]]),
    ("crop_object", {"selector": "unique_pattern", "conn": 8, "multicolour": True, "bg": 0},
     [[1, 2, 0, 1, 2, 0, 2, 1]], [[2, 1]]),
    # per-object edits and moves
    ("transform_objects", {"op": "flip_lr", "conn": 8, "multicolour": True, "bg": 0},
     [[1, 2, 0, 0], [0, 0, 0, 3], [0, 0, 0, 4]], [[2, 1, 0, 0], [0, 0, 0, 3], [0, 0, 0, 4]]),
    ("transform_objects", {"op": "flip_ud", "conn": 8, "multicolour": True, "bg": 0},
     [[1, 2, 0, 0], [0, 0, 0, 3], [0, 0, 0, 4]], [[1, 2, 0, 0], [0, 0, 0, 4], [0, 0, 0, 3]]),
    ("slide_objects", {"direction": "down", "conn": 4, "multicolour": False, "bg": 0, "fixed": -1},
     [[1, 1, 0], [0, 0, 2], [0, 0, 0], [0, 0, 0]], [[0, 0, 0], [0, 0, 0], [0, 0, 0], [1, 1, 2]]),
    # an L-shaped object falls as one piece: its overhang stays in the air
    ("slide_objects", {"direction": "down", "conn": 4, "multicolour": False, "bg": 0, "fixed": -1},
     [[3, 3], [3, 0], [0, 0]], [[0, 0], [3, 3], [3, 0]]),
    ("slide_objects", {"direction": "down", "conn": 4, "multicolour": False, "bg": 0, "fixed": 5},
     [[2, 0], [0, 0], [5, 5], [0, 0]], [[0, 0], [2, 0], [5, 5], [0, 0]]),
    ("attract_to_colour", {"anchor": 5, "conn": 8, "bg": 0},
     [[3, 0, 0, 0, 5], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 4]],
     [[0, 0, 0, 3, 5], [0, 0, 0, 0, 4], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]]),
    # local rules: a cell with a filled cell to its left becomes 7 (code of "n4b" features)
    ("local_rule", {"rules": [[18, 7]], "feat": "n4b", "bg": 0}, [[4, 0, 0]], [[4, 7, 0]]),
]


@pytest.mark.parametrize("name,params,grid,expected", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_primitive_on_constructed_grid(name, params, grid, expected):
    assert run_steps([(name, params)], grid) == expected


def test_every_primitive_has_a_case():
    covered = {c[0] for c in CASES}
    assert set(PRIMITIVES) - covered == set()


def test_library_contract():
    assert len(PRIMITIVES) >= 45
    for name, p in PRIMITIVES.items():
        assert p.name == name and name.isidentifier() and name == name.lower()
        assert p.category in CATEGORIES
        assert len(p.description) > 20
        assert p.source.lstrip().startswith(f"def {name}(grid")
        # the source alone (numpy only) compiles to a working function
        fn = compile_source(name, p.source)
        assert callable(fn)
    assert {p.category for p in PRIMITIVES.values()} == set(CATEGORIES)


def test_failing_step_gives_none_not_exception():
    assert run_steps([("crop_to_content", {"bg": 0})], [[0, 0], [0, 0]]) is None
    assert run_steps([("scale_down", {"ky": 2, "kx": 2})], [[1, 2, 3]]) is None


def test_bad_programs_are_named():
    with pytest.raises(ValueError, match="unknown primitive 'nope'"):
        run_steps([("nope", {})], [[1]])
    with pytest.raises(ValueError, match="JSON"):
        run_steps([("tile", {"ny": np.int64})], [[1]])


def test_register_rejects_globals_and_bad_category():
    def uses_global(grid):
        return CASES  # noqa: F821 - not available in the numpy-only namespace

    prim_fn = compile_source("uses_global", "def uses_global(grid):\n    return CASES\n")
    with pytest.raises(NameError):
        prim_fn([[1]])
    with pytest.raises(ValueError, match="unknown category"):
        register(uses_global, description="x" * 30, category="magic")
