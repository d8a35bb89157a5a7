"""Compiled twins: a primitive's in-process `fn` (which calls numba twins of its hot helpers) gives
exactly what its rendered Python source gives, on random and structured grids, for every setting
its inference proposes and for hand-written settings the twins do not take."""
from __future__ import annotations

import zlib

import numpy as np
import pytest

from mechacoder_soar.library_search import compiled
from mechacoder_soar.library_search.primitives import PRIMITIVES
from mechacoder_soar.library_search.registry import _COMPILED, compile_source

pytestmark = pytest.mark.skipif(not compiled.ENABLED, reason="numba is not installed or twins are switched off")


def _uses_twin(name: str) -> bool:
    glb = getattr(PRIMITIVES[name].fn, "__globals__", {})
    twins = set(_COMPILED)
    return any(k in twins for k in glb)


TWINNED = sorted(n for n in PRIMITIVES if _uses_twin(n))


def _grids(seed: int, n: int) -> list[np.ndarray]:
    """Random sparse grids of every size class (the component labelling has a path for small grids
    and one for grids over 400 cells), plus symmetric and periodic grids with a masked patch, and
    grids of equal cells cut by separator lines."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        h, w = (int(v) for v in rng.integers(1, 31 if i % 4 == 0 else 13, 2))
        g = rng.integers(0, 10, (h, w))
        g[rng.random(g.shape) < rng.random()] = 0
        out.append(g)
    for i in range(n // 2):
        base = rng.integers(0, 4, (int(rng.integers(1, 4)), int(rng.integers(1, 4))))
        g = np.tile(base, (int(rng.integers(2, 6)), int(rng.integers(2, 6))))
        if i % 2:
            g = np.concatenate([g, g[:, ::-1]], axis=1)
            g = np.concatenate([g, g[::-1]], axis=0)
        y, x = int(rng.integers(0, g.shape[0])), int(rng.integers(0, g.shape[1]))
        g = g.copy()
        g[y:y + 2, x:x + 3] = 9 if i % 3 else 0
        out.append(g)
    for i in range(n // 4):
        ch, cw, ny, nx = (int(v) for v in rng.integers(1, 5, 4))
        g = np.full((ny * (ch + 1) - 1, nx * (cw + 1) - 1), 5 + i % 2, dtype=np.int64)
        for y in range(ny):
            for x in range(nx):
                g[y * (ch + 1):y * (ch + 1) + ch, x * (cw + 1):x * (cw + 1) + cw] = \
                    rng.integers(0, 4, (ch, cw)) * (rng.random((ch, cw)) < 0.5)
        out.append(g)
    return out


def _outcome(fn, g, params):
    try:
        r = np.asarray(fn(g.copy(), **params))
    except Exception as e:   # a failure is an outcome too: both must fail
        return ("raised", type(e).__name__)
    return (r.dtype.str, r.shape, r.tobytes())


def test_every_hot_helper_has_a_twin_in_use():
    assert {"rays", "connect_same_colour", "fill_enclosed", "repair_masked", "crop_repaired",
            "crop_object", "keep_object", "transform_objects", "slide_objects", "gravity",
            "dedup_rows_cols", "symmetrize", "cells_summary"} <= set(TWINNED)


def _extra_settings(name: str, g: np.ndarray) -> list[dict]:
    """Settings inference would not propose on random pairs but the twin must get right."""
    if name != "local_rule":   # random pairs follow no local rule: rules on codes the grid has
        return []
    from mechacoder_soar.library_search.dsl.rules import FEATS, _neigh_codes
    return [{"rules": [[c, 7] for c in np.unique(_neigh_codes(g, feat, bg)).tolist()[:3]], "feat": feat, "bg": bg}
            for feat in FEATS for bg in (0, 5)]


@pytest.mark.parametrize("name", TWINNED)
def test_the_twin_gives_what_the_rendered_source_gives(name):
    prim = PRIMITIVES[name]
    ref = compile_source(name, prim.source)   # exactly the code a sandboxed program runs
    grids = _grids(zlib.crc32(name.encode()), 24)
    n_checked = 0
    for i, g in enumerate(grids):
        out = grids[(i + 1) % len(grids)]
        pairs = [(g, out if out.shape == g.shape else g)]
        settings = (list(prim.infer(pairs))[:40] if prim.infer else []) + [{}]   # {}: the defaults
        try:   # and what inference proposes for an output the primitive can make
            settings += list(prim.infer([(g, np.asarray(prim.fn(g)))]))[:10] if prim.infer else []
        except Exception:
            pass
        for params in settings + _extra_settings(name, g):
            assert _outcome(prim.fn, g, params) == _outcome(ref, g, params), (name, params, g.tolist())
            n_checked += 1
    assert n_checked > len(grids) or prim.infer is None   # inferred settings too, where it takes any


def test_settings_the_twins_do_not_take_fall_back_to_python():
    g = np.array([[0, 3, 0], [0, 0, 0], [5, 0, 0]])
    for name, params in [("rays", {"directions": "hv", "colour": 3.0}), ("rays", {"bg": "0"}),
                         ("connect_same_colour", {"bg": 0.5}), ("repair_masked", {"mode": "nope"}),
                         ("fill_enclosed", {"colour": 2, "bg": 0.0})]:
        ref = compile_source(name, PRIMITIVES[name].source)
        assert _outcome(PRIMITIVES[name].fn, g, params) == _outcome(ref, g, params), (name, params)
    narrow = g.astype(np.int8)   # another dtype than the twins are compiled for
    assert _outcome(PRIMITIVES["rays"].fn, narrow, {}) == _outcome(compile_source("rays", PRIMITIVES["rays"].source), narrow, {})


def test_a_kernel_compiles_on_first_call_and_keeps_its_python_function():
    @compiled.kernel
    def add(a, b):
        return a + b

    assert add.py(2, 3) == 5
    assert add(2, 3) == 5


def test_selector_choices_for_inference_match_select():
    """Object inference reads every selector's choice from one kernel: each equals `_select`'s
    (or -1 where `_select` raises), on random grids and on grids of repeated and mirrored shapes."""
    from mechacoder_soar.library_search.dsl import objects as O
    from mechacoder_soar.library_search.dsl.colour import _components, _components_kernel

    rng = np.random.default_rng(7)
    grids = _grids(3, 40)
    for _ in range(20):
        t = rng.integers(0, 3, (2, 2))
        g = np.zeros((8, 8), dtype=np.int64)
        g[0:2, 0:2], g[4:6, 3:5], g[5:7, 6:8] = t, t, t[::-1]
        grids.append(g)
    n_unique = 0
    for g in grids:
        for conn, multi in O._DEFAULT_SETTINGS:
            comps = _components(g, conn, multi, 0)
            got = O._choices_kernel(g, *_components_kernel(g, conn == 8, multi, 0)).tolist()
            for sel, k in zip(O.SELECTORS, got):
                try:
                    want = O._select(g, comps, sel)
                except ValueError:
                    want = -1
                assert k == want, (sel, conn, multi, g.tolist())
                n_unique += sel.startswith("unique") and k >= 0
    assert n_unique > 0   # the "exactly one" selectors were exercised, not only their failures


def test_the_object_primitives_choice_twin_picks_or_fails_as_the_python_choice():
    """crop/keep/remove/recolour_object choose their object through `_chosen`'s twin (the choices
    kernel, kept per grid): every selector, connectivity and background picks the same index, or
    fails where the Python choice fails (also for an unknown selector and a grid of colours the
    kernel's bit masks cannot hold)."""
    from mechacoder_soar.library_search.dsl import objects as O

    grids = _grids(17, 30) + [np.array([[0, 70, 70], [0, 0, 5]], dtype=np.int64)]
    n_picked = n_failed = 0
    for g in grids:
        for conn, multi in O._DEFAULT_SETTINGS:
            for bg in (0, 5):
                for sel in O.SELECTORS + ["no_such_selector"]:
                    outcome = []
                    for choose in (O._chosen_twin, O._chosen):
                        try:
                            outcome.append(choose(g, sel, conn, multi, bg))
                        except ValueError:
                            outcome.append("raised")
                    assert outcome[0] == outcome[1], (sel, conn, multi, bg, g.tolist())
                    n_picked += outcome[0] != "raised"
                    n_failed += outcome[0] == "raised"
    assert n_picked > 500 and n_failed > 100


@pytest.mark.parametrize("name", ["keep_object", "remove_object", "recolour_object", "crop_object"])
def test_object_inference_ranks_alike_with_and_without_kernels(name, monkeypatch):
    """Object inference scores every component with compiled kernels; switched off, the Python
    scoring ranks the same settings in the same order."""
    from mechacoder_soar.library_search.dsl import objects as O

    rng = np.random.default_rng(11)
    infer = PRIMITIVES[name].infer
    grids = _grids(5, 16)
    n_nonempty = 0
    for i, a in enumerate(grids):
        o = a.copy()
        o[rng.random(a.shape) < 0.3] = 0
        pairs = [(a, o), (grids[(i + 3) % len(grids)], grids[(i + 3) % len(grids)])]
        fast = infer(pairs)
        with monkeypatch.context() as m:
            m.setattr(compiled, "ENABLED", False)
            O._cached_choices.cache_clear()   # selector choices are memoised: recompute them in Python
            slow = infer(pairs)
        O._cached_choices.cache_clear()
        assert fast == slow, (name, a.tolist())
        n_nonempty += bool(fast)
    assert n_nonempty > 0


def test_colour_map_inference_reads_the_same_map_with_and_without_the_kernel(monkeypatch):
    """The colour-map fix is inferred on every node whose shapes match the outputs: the kernel
    that builds the map pair by pair gives the Python answer, for consistent maps, contradictions,
    colours outside 0..9 (the kernel hands those back) and other dtypes."""
    from mechacoder_soar.library_search.dsl.colour import infer_colour_map

    rng = np.random.default_rng(13)
    cases = []
    for i, a in enumerate(_grids(9, 24)):
        perm = rng.permutation(10)
        b = perm[a]
        if i % 3 == 1:   # one cell contradicts the map
            b = b.copy()
            b.flat[int(rng.integers(0, b.size))] = (b.flat[0] + 1) % 10 if b.size > 1 else b.flat[0]
        if i % 5 == 2:
            b = b + 10   # out of the kernel's range
        cases.append([(a, b), (a[::-1].copy(), perm[a[::-1]])])
    cases.append([(np.array([[1, 2]], dtype=np.int8), np.array([[3, 2]], dtype=np.int8))])
    n_maps = 0
    for pairs in cases:
        fast = infer_colour_map(pairs)
        with monkeypatch.context() as m:
            m.setattr(compiled, "ENABLED", False)
            slow = infer_colour_map(pairs)
        assert fast == slow, [(a.tolist(), b.tolist()) for a, b in pairs]
        n_maps += bool(fast)
    assert 0 < n_maps < len(cases)


def test_object_bounding_boxes_are_the_same_with_and_without_the_kernel(monkeypatch):
    """Crop inference reads the components' bounding boxes straight from the compiled labelling:
    the same boxes, in the same order, as the cell lists give, for every connectivity, multicolour
    setting and background, empty grids included."""
    from mechacoder_soar.library_search.dsl import objects

    grids = list(_grids(11, 20)) + [np.zeros((3, 4), dtype=np.int64), np.full((2, 2), 5, dtype=np.int64)]
    n_boxes = 0
    for a in grids:
        g = np.ascontiguousarray(a, dtype=np.int64)
        for conn, multi in objects._DEFAULT_SETTINGS:
            for bg in (0, 5):
                objects._cached_boxes.cache_clear()
                fast = objects._cached_boxes(g, conn, multi, bg)
                objects._cached_boxes.cache_clear()
                with monkeypatch.context() as m:
                    m.setattr(compiled, "ENABLED", False)
                    slow = objects._cached_boxes(g, conn, multi, bg)
                assert fast == slow, (a.tolist(), conn, multi, bg)
                n_boxes += len(fast)
    assert n_boxes > 100



def test_count_equal_counts_what_numpy_counts():
    """The agreement count inference and scoring use: numpy's count on int64 grids, views of
    them and other dtypes alike."""
    rng = np.random.default_rng(5)
    for _ in range(50):
        a = rng.integers(0, 3, (int(rng.integers(1, 9)), int(rng.integers(1, 9))))
        b = rng.integers(0, 3, a.shape)
        for x, y in ((a, b), (a[:, ::-1], b), (a.astype(np.int8), b.astype(np.int8)), (a.T, b.T)):
            got = compiled.count_equal(x, y)
            assert type(got) is int and got == int(np.count_nonzero(x == y))
