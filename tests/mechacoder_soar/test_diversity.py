import logging
from types import SimpleNamespace

import numpy as np
import pytest

from mechacoder_soar.diversity import (DiversityConfig, diversity_by_iteration, embedding_dispersion,
                                       program_diversity)
from mechacoder_soar.domain import Attempt


def att(i, it, out, task="t", error=None):
    return Attempt(id=f"{it}-{i}", task_id=task, code=f"c{i}", iteration=it, train_outputs=[out], test_outputs=[out], error=error)


def test_program_diversity_counts_distinct_behaviours_per_task():
    atts = [att(0, 0, [[1]]), att(1, 0, [[1]]), att(2, 0, [[2]]), att(3, 0, [[3]], error="x"),
            att(4, 0, [[1]], task="u")]
    d = program_diversity(atts)
    # task t: 2 distinct of 3 valid; task u: 1 of 1
    assert d["distinct_ratio"] == pytest.approx((2 / 3 + 1) / 2)
    assert d["distinct_codes"] == 5 and d["error_rate"] == pytest.approx(0.2)


def test_collapse_is_flagged_and_logged(caplog):
    diverse = [att(i, 0, [[i]]) for i in range(5)]
    collapsed = [att(i, 1, [[0]]) for i in range(5)]
    with caplog.at_level(logging.WARNING, logger="mechacoder_soar.diversity"):
        d = diversity_by_iteration(diverse + collapsed, config=DiversityConfig(floor=0.1, drop=0.5))
    assert [r["collapsed"] for r in d["iterations"]] == [False, True]
    assert d["collapsed"] and "iteration 1" in d["alerts"][0]
    assert any("diversity collapse" in r.message for r in caplog.records)
    healthy = diversity_by_iteration(diverse + [att(i, 1, [[i + 10]]) for i in range(5)])
    assert not healthy["collapsed"] and healthy["alerts"] == []


def test_embedding_dispersion_and_library_by_iteration():
    assert embedding_dispersion(np.ones((4, 3))) == pytest.approx(0.0)
    assert embedding_dispersion(np.eye(3)) > 0.3
    atts = [att(0, 0, [[1]]), att(1, 1, [[2]])]
    sk = lambda i, origin, src, sig: SimpleNamespace(source=src, origin_attempt_id=origin, output_signature=sig,
                                                     content_hash=f"h{i}", embed_text=lambda: f"text {i}")
    skills = [sk(0, None, "seed", None), sk(1, "0-0", "hindsight", "s1"), sk(2, "1-1", "solved", "s2")]
    vecs = {"text 0": [1, 0, 0], "text 1": [0, 1, 0], "text 2": [0, 0, 1]}
    d = diversity_by_iteration(atts, skills, lambda texts: np.array([vecs[t] for t in texts], dtype=float))
    libs = [r["library"] for r in d["iterations"]]
    assert [lib["skills"] for lib in libs] == [2, 3]   # pre-existing seed + what each iteration added
    assert libs[1]["by_source"] == {"seed": 1, "hindsight": 1, "solved": 1}
    assert libs[1]["embedding_dispersion"] > libs[0]["embedding_dispersion"] > 0


def test_bad_config_is_rejected():
    with pytest.raises(ValueError, match="floor"):
        DiversityConfig(floor=2.0)
