"""The search's conditional costs (`step_prior`): a cost multiplier per next primitive that depends
on the previous step's primitive ("" for the first step) reorders the search below each node."""
from __future__ import annotations

from mechacoder_soar.library_search.primitives import run_steps
from mechacoder_soar.library_search.search import SearchConfig, search

PROGRAM = [("crop_to_content", {}), ("scale_up", {"ky": 2, "kx": 2}), ("draw_frame", {"colour": 5})]
INPUTS = [
    [[0, 0, 0, 0, 0], [0, 1, 2, 0, 0], [0, 3, 0, 0, 0], [0, 0, 0, 0, 0]],
    [[0, 0, 0, 0], [0, 0, 4, 4], [0, 0, 5, 0], [0, 0, 6, 0], [0, 0, 0, 0]],
    [[0, 0, 0, 0, 0, 0], [0, 7, 8, 9, 0, 0], [0, 0, 0, 1, 0, 0]],
]
TEST = [[0, 0, 0], [0, 2, 3], [0, 4, 0]]


def _search(**kw):
    pairs = [(g, run_steps(PROGRAM, g)) for g in INPUTS]
    return search(pairs, [TEST], SearchConfig(budget=500, stop_after_solutions=1, time_limit_s=60), **kw)


def test_predicted_first_step_and_successors_find_a_deep_program_far_sooner():
    plain = _search()
    steered = _search(step_prior={"": {"crop_to_content": 0.2}, "crop_to_content": {"scale_up": 0.2},
                                  "scale_up": {"draw_frame": 0.2}})
    assert steered.solved and steered.candidates[0].test_outputs == [run_steps(PROGRAM, TEST)]
    assert steered.first_solution_at < 100 and not plain.solved   # depth 3 is out of the plain search's reach
    # only the first step predicted: the costs below it are the plain ones, and depth 3 stays out of reach
    assert not _search(step_prior={"": {"crop_to_content": 0.2}}).solved


def test_no_step_prior_is_the_plain_search():
    a, b = _search(), _search(step_prior={})
    assert [c.steps for c in a.candidates] == [c.steps for c in b.candidates] and a.n_evaluated == b.n_evaluated
