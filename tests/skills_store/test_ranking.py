import numpy as np
import pytest

from skills_store.config import EmaConfig, RankingConfig
from skills_store.ranking import Candidate, posterior_mean, rank, score_candidates


def test_posterior_uses_prior_below_min_uses_and_shrinks_above():
    rc, ec = RankingConfig(min_uses=2, prior_strength=4), EmaConfig(alpha=0.1)
    prior, post = posterior_mean(Candidate("a", 0.5, "hindsight", 1.0, 1), rc, ec)
    assert post == prior == rc.prior_mean["hindsight"]
    _, post = posterior_mean(Candidate("a", 0.5, "seed", 1.0, 4), rc, ec)
    # (4*0.5 + 1.0*4) / (4 + 4) = 0.75
    assert post == pytest.approx(0.75)


def test_hindsight_starts_below_solved():
    rc, ec = RankingConfig(), EmaConfig()
    s = score_candidates([Candidate("h", 0.8, "hindsight", 0, 0), Candidate("s", 0.8, "solved", 0, 0)], rc, ec)
    assert s[1].score > s[0].score


def test_exploration_favours_rarely_used():
    rc, ec = RankingConfig(), EmaConfig()
    s = score_candidates([Candidate("a", 0.5, "seed", 0.5, 50), Candidate("b", 0.5, "seed", 0.5, 0)], rc, ec)
    assert s[1].exploration > s[0].exploration


def test_mmr_skips_near_duplicates():
    e1 = np.array([1.0, 0.0, 0.0])
    cands = [
        Candidate("a", 0.90, "seed", 0, 0, e1),
        Candidate("a2", 0.89, "seed", 0, 0, e1 + 1e-3),  # near duplicate of a
        Candidate("b", 0.80, "seed", 0, 0, np.array([0.0, 1.0, 0.0])),
    ]
    ids = [r.id for r in rank(cands, 2, RankingConfig(mmr_lambda=0.5), EmaConfig())]
    assert ids == ["a", "b"]
    ids = [r.id for r in rank(cands, 2, RankingConfig(mmr_lambda=1.0), EmaConfig())]
    assert ids == ["a", "a2"]
