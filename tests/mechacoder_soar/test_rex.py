import numpy as np
import pytest

from mechacoder_soar.rex import RexState, rex_draw


def test_rex_draw_matches_beta_parameters():
    # theta ~ Beta(1 + C*h, 1 + C*(1-h) + N): compare the sample mean with the Beta mean.
    rng = np.random.default_rng(0)
    c, h, n = 20.0, 0.75, 3
    draws = [rex_draw(h, n, c, rng) for _ in range(20000)]
    a, b = 1 + c * h, 1 + c * (1 - h) + n
    assert np.mean(draws) == pytest.approx(a / (a + b), abs=0.01)


def test_refinement_count_is_incremented_and_shifts_choice():
    # Two equal parents: the one already refined many times is penalised (SOAR's code forgot N).
    state = RexState(c=20.0)
    rng = np.random.default_rng(1)
    for _ in range(30):
        state.choose([("a", 0.5)], rng)
    assert state.refined["a"] == 30
    picks = [RexState(c=20.0, refined={"a": 30}).choose([("a", 0.5), ("b", 0.5)], rng) for _ in range(200)]
    assert picks.count("b") > 180


def test_high_c_exploits_accuracy():
    rng = np.random.default_rng(2)
    picks = [RexState(c=200.0).choose([("good", 0.9), ("bad", 0.1)], rng) for _ in range(200)]
    assert picks.count("good") > 190
    assert RexState().choose([], rng) is None
