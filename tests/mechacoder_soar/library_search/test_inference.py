"""Parameter inference from train pairs."""
from __future__ import annotations

import numpy as np

from mechacoder_soar.library_search.primitives import PRIMITIVES


def A(x):
    return np.array(x, dtype=np.int64)


def infer(name, pairs):
    return PRIMITIVES[name].infer([(A(a), A(b)) for a, b in pairs])


def test_colour_map_learned_from_pairs_and_rejected_when_inconsistent():
    pairs = [([[1, 2], [0, 1]], [[5, 2], [0, 5]]), ([[2, 1]], [[2, 5]])]
    assert infer("colour_map", pairs) == [{"mapping": [[1, 5]]}]
    # colour 1 goes to 5 in one place and 6 in another: no map exists
    assert infer("colour_map", [([[1, 1]], [[5, 6]])]) == []
    # different shapes: a colour map cannot explain the pair
    assert infer("colour_map", [([[1, 1]], [[1]])]) == []


def test_scale_and_tile_factors_from_shape_ratios():
    assert infer("scale_up", [([[1, 2]], [[1, 1, 1, 2, 2, 2]] * 2)])[0] == {"ky": 2, "kx": 3}
    assert infer("scale_down", [([[1, 1], [1, 1]], [[1]])])[0] == {"ky": 2, "kx": 2}
    assert infer("tile", [([[1]], [[1, 1, 1]])]) == [{"ny": 1, "nx": 3}]
    assert infer("tile", [([[1, 2]], [[1, 2, 1]])]) == []


def test_crop_object_selector_inferred():
    # the output is always the smallest object, whatever its colour or place
    pairs = [
        ([[1, 1, 0, 0], [1, 1, 0, 2], [0, 0, 0, 0]], [[2]]),
        ([[0, 0, 0], [3, 0, 4], [0, 0, 4]], [[3]]),
    ]
    best = infer("crop_object", pairs)[0]
    prim = PRIMITIVES["crop_object"]
    for a, b in pairs:
        assert np.array_equal(prim.fn(A(a), **best), A(b))


def test_fill_colour_inferred():
    pairs = [([[1, 1, 1], [1, 0, 1], [1, 1, 1]], [[1, 1, 1], [1, 4, 1], [1, 1, 1]])]
    assert infer("fill_enclosed", pairs)[0] == {"colour": 4, "bg": 0}


def test_separator_partition_and_op_inferred():
    # left and right halves split by a column of 5; output marks cells filled in both (AND) with 2
    pairs = [
        ([[1, 0, 5, 1, 1], [1, 1, 5, 0, 1]], [[2, 0], [0, 2]]),
        ([[0, 1, 5, 1, 1], [1, 0, 5, 1, 0]], [[0, 2], [2, 0]]),
    ]
    best = infer("cells_overlay", pairs)[0]
    assert best["op"] == "and" and best["colour"] == 2
    assert best["parts"] in ("sep", "h2")


def test_gravity_direction_inferred():
    pairs = [([[1, 0, 0], [0, 0, 2]], [[1, 0, 0], [2, 0, 0]]), ([[0, 0, 3]], [[3, 0, 0]])]
    assert infer("gravity", pairs)[0]["direction"] == "left"


def test_mask_colour_inferred_for_symmetry_repair():
    pairs = [([[1, 2, 3, 7, 1]], [[1, 2, 3, 2, 1]])]
    best = infer("repair_masked", pairs)[0]
    assert best["mask"] == 7


def test_size_table_compacted_to_a_default_colour():
    # objects of size 2 turn 7, every other size turns 3: the compact rule comes first and covers
    # sizes never seen in training
    pairs = [([[5, 0, 5, 5], [5, 0, 0, 0]], [[7, 0, 7, 7], [7, 0, 0, 0]]),
             ([[5, 5, 5, 0, 5]], [[3, 3, 3, 0, 3]])]
    best = infer("recolour_by_size", pairs)[0]
    assert best["default"] == 3 and best["mapping"] == [[2, 7]]
    out = PRIMITIVES["recolour_by_size"].fn(A([[5, 5, 5, 5, 0, 5, 5]]), **best)
    assert out.tolist() == [[3, 3, 3, 3, 0, 7, 7]]
