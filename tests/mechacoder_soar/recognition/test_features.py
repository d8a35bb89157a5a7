"""Task features: fixed length, in [0, 1], and they tell apart what programs do to grids."""
import numpy as np
import pytest

from mechacoder_soar.recognition import N_FEATURES, dream_pairs, pair_features, task_features

from .synthetic import PROGRAMS, random_inputs


def test_features_are_fixed_length_and_scaled():
    rng = np.random.default_rng(1)
    for steps in PROGRAMS.values():
        pairs = dream_pairs(steps, random_inputs(rng, 3))
        f = task_features(pairs)
        assert f.shape == (N_FEATURES,)
        assert np.all(f >= 0) and np.all(f <= 1)


def test_programs_with_different_footprints_get_different_features():
    rng = np.random.default_rng(2)
    ins = random_inputs(rng, 3)
    vecs = {name: task_features(dream_pairs(steps, ins)) for name, steps in PROGRAMS.items()}
    names = list(vecs)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert np.abs(vecs[a] - vecs[b]).sum() > 0.1, (a, b)


def test_bad_grids_are_refused_by_name():
    with pytest.raises(ValueError, match="non-empty 2-D"):
        pair_features([1, 2], [[1]])
    with pytest.raises(ValueError, match="at least one"):
        task_features([])
