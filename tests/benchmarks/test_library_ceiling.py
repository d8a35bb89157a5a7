"""library_ceiling.py: a library program counts for a task when one of the variants the search
would try (as it is, settings re-inferred) solves every train pair; the summary bounds the lift."""
from __future__ import annotations

import numpy as np
import pytest

from .test_transfer_eval import _load

lc = _load("library_ceiling")


def _task(colour: int):
    """Non-zero cells recoloured to `colour`, then mirrored left-right."""
    rng = np.random.default_rng(colour)
    pairs = []
    for _ in range(3):
        a = rng.integers(0, 4, size=(4, 5))
        pairs.append((a.tolist(), np.fliplr(np.where(a != 0, colour, a)).tolist()))
    return pairs, [rng.integers(0, 4, size=(4, 5)).tolist()]


def test_a_program_learned_with_other_settings_solves_once_refit():
    pairs, tests = _task(colour=7)
    programs = [
        [["rot90", {}]],                                            # wrong steps
        [["recolour_nonbg", {"colour": 2}], ["flip_lr", {}]],       # right steps, another task's colour
        [["flip_lr", {}]],                                          # half of it
        [["recolour_nonbg", {"colour": 7}], ["flip_lr", {}]],       # exactly right
    ]
    assert lc.solving_programs((pairs, tests, programs)) == [1, 3]


def test_a_broken_program_is_skipped_not_fatal():
    pairs, tests = _task(colour=5)
    assert lc.solving_programs((pairs, tests, [[["no_such_primitive", {}]], [["flip_lr", {}]]])) == []


def test_summary_bounds_the_lift_by_the_union():
    solvers = [[0], [], [2, 3], []]
    seeds = [{"found": [[4, [True]]]}, {"found": [[9, [True]]]}, {"found": []}, {"found": [[900, [True]]]}]
    s = lc.summarise(["a", "b", "c", "d"], solvers, seeds, [0, None, 7, None], n_programs=4, shown=6, budget=100)
    assert (s["library"], s["seeds"], s["reach"], s["union"], s["library_only"]) == (2, 2, 3, 4, 1)
    assert s["union_over_seeds"] == 2.0
    assert s["rank_bins"] == {"0-0": 1, "6-20": 1} and s["ranked_within_tried"] == 1


def test_flags_are_checked():
    assert lc.parse_args([]).suite == "arc1-train:transfer"
    with pytest.raises(SystemExit):
        lc.parse_args(["--limit", "0"])
    with pytest.raises(SystemExit):
        lc.parse_args(["--budget", "5000", "--reach-budget", "2000"])
