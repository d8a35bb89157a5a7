"""The learned prior: primitives that solutions of many tasks use become cheaper, unused ones keep
their cost (dearer only where the config allows), within bounds; and the search really tries the
cheaper ones first."""
import pytest

from mechacoder_soar.library_search.primitives import PRIMITIVES
from mechacoder_soar.library_search.prior import PriorConfig, primitive_prior
from mechacoder_soar.library_search.search import SearchConfig, search

CROP = ("crop_to_content", {})
FLIP = ("flip_lr", {})


def test_used_primitives_get_cheaper_unused_dearer_counted_once_per_task():
    # crop solves 6 tasks, flip 1; task t0 has five programs using crop: still one vote
    sols = {f"t{i}": [[CROP]] for i in range(6)}
    sols["t0"] = [[CROP]] * 5 + [[CROP, FLIP]]
    prior = primitive_prior(sols)
    assert set(prior) == set(PRIMITIVES)
    assert prior["crop_to_content"] < prior["flip_lr"] < 1 == prior["rot90"]   # unused: never dearer than its cost
    dearer = primitive_prior(sols, PriorConfig(hi=1.3))                          # unless the config allows it
    assert dearer["crop_to_content"] < 1 < dearer["rot90"]
    cfg = PriorConfig()
    assert all(cfg.lo <= m <= cfg.hi for m in prior.values())
    # the same evidence twice over moves crop further, never past the bound
    more = primitive_prior({**sols, **{f"u{i}": [[CROP]] for i in range(50)}})
    assert more["crop_to_content"] <= prior["crop_to_content"] and more["crop_to_content"] >= cfg.lo


def test_too_few_solved_tasks_give_no_prior_and_bad_config_is_refused():
    assert primitive_prior({"a": [[CROP]], "b": [[FLIP]]}) == {}
    assert primitive_prior({}) == {}
    with pytest.raises(ValueError, match="PriorConfig"):
        PriorConfig(lo=1.5)


def test_search_tries_the_cheaper_primitive_first():
    grid = [[1, 2, 0], [0, 3, 4]]
    pairs = [(grid, [r[::-1] for r in grid]), ([[5, 0], [6, 7]], [[0, 5], [7, 6]])]
    cfg = SearchConfig(max_depth=2, budget=50_000, time_limit_s=30, stop_after_solutions=1, colour_fix=False)
    favour = {n: (0.6 if n == "flip_lr" else 1.3) for n in PRIMITIVES}
    against = {n: (1.3 if n == "flip_lr" else 0.6) for n in PRIMITIVES}
    fast, slow = search(pairs, [], cfg, prior=favour), search(pairs, [], cfg, prior=against)
    assert fast.solved and slow.solved
    assert fast.candidates[0].steps == [FLIP]
    assert fast.n_evaluated < slow.n_evaluated / 3
