"""The service layer every face shares: real store (Chroma + MiniLM), real hindsight relabeller."""
import pytest
from pydantic import ValidationError

from mechacoder_soar.cli.serve import hindsight_relabeller
from skills_store import InvalidInputError, SkillNotFoundError
from skills_store.service import (
    AttemptRequest, EvaluationUnavailableError, MemoryService, OutcomeRequest, SearchRequest,
)

REVERSE = "def reverse_words(s):\n    return ' '.join(reversed(s.split()))"
SORT_BAD = "def sort_desc(xs):\n    return sorted(xs)"


@pytest.fixture
def svc(store):
    return MemoryService(store, relabeller=hindsight_relabeller())


def test_pass_becomes_solved_skill_and_is_found_by_meaning(svc):
    r = svc.record_attempt(AttemptRequest(task="reverse the order of the words in a sentence", code=REVERSE,
                                          passed=True, tests_passed=4, tests_total=4))
    assert r.recorded and r.new_skill_source == "solved"
    hits = svc.search_skills(SearchRequest(query="flip word order in a string", k=3)).skills
    assert hits[0].id == r.new_skill_id and hits[0].code == REVERSE
    assert hits[0].description == "reverse the order of the words in a sentence"
    assert hits[0].sampling_uses == 0 and hits[0].score is not None


def test_failure_with_observations_becomes_hindsight_skill(svc):
    r = svc.record_attempt(AttemptRequest(
        task="sort numbers in descending order", code=SORT_BAD, passed=False, feedback="expected [3, 2, 1]",
        observations=[{"input": [3, 1, 2], "output": [1, 2, 3]}, {"input": [5, 4], "output": [4, 5]}]))
    assert r.new_skill_source == "hindsight" and r.hindsight_skipped is None
    sk = svc.get_skill(r.new_skill_id)
    assert sk.source == "hindsight" and sk.code == SORT_BAD
    assert "[3, 1, 2] -> [1, 2, 3]" in sk.description  # the task it *does* solve
    # The same behaviour again (different code) is not a second hindsight skill.
    r2 = svc.record_attempt(AttemptRequest(
        task="sort numbers in descending order", code="def sort_desc(xs):\n    return list(sorted(xs))",
        passed=False, observations=[{"input": [3, 1, 2], "output": [1, 2, 3]}, {"input": [5, 4], "output": [4, 5]}]))
    assert r2.new_skill_was_duplicate and r2.new_skill_id == r.new_skill_id


def test_failure_without_observations_is_stored_but_not_relabelled(svc):
    r = svc.record_attempt(AttemptRequest(task="parse dates", code="def f(s): pass", passed=False, feedback="TypeError"))
    assert r.recorded and r.new_skill_id is None and "no observed behaviour" in r.hindsight_skipped
    assert svc.get_attempt(r.attempt_id)["feedback"] == "TypeError"
    assert svc.stats()["skills"] == 0


def test_attempt_updates_emas_of_used_skills_and_is_idempotent(svc):
    sid = svc.record_attempt(AttemptRequest(task="reverse words", code=REVERSE, passed=True)).new_skill_id
    req = AttemptRequest(task="reverse words, keep punctuation", code=REVERSE + "  # v2", passed=False,
                         skill_ids=[sid], mode="refine", attempt_id="a-1")
    assert svc.record_attempt(req).recorded
    again = svc.record_attempt(req)
    assert not again.recorded and again.updated_skills == []
    sk = svc.get_skill(sid)
    assert (sk.refine_uses, sk.refine_ema, sk.sampling_uses) == (1, 0.0, 0)
    svc.report_outcome(OutcomeRequest(skill_ids=[sid], mode="sample", success=True))
    assert svc.get_skill(sid).sampling_ema == 1.0
    assert [e.kind for e in svc.skill_history(sid)] == ["added", "outcome", "outcome"]


def test_unknown_skill_id_changes_nothing(svc):
    before = svc.stats()
    with pytest.raises(SkillNotFoundError, match="sk_nope"):
        svc.record_attempt(AttemptRequest(task="t", code=REVERSE, passed=True, skill_ids=["sk_nope"], attempt_id="x"))
    assert svc.stats() == before and svc.get_attempt("x") is None
    with pytest.raises(SkillNotFoundError):
        svc.report_outcome(OutcomeRequest(skill_ids=["sk_nope"], mode="sample", success=True))


def test_refine_search_uses_the_failure(svc):
    a = svc.record_attempt(AttemptRequest(task="handle an empty input list without crashing: return 0",
                                          code="def f(xs):\n    return max(xs) if xs else 0", passed=True)).new_skill_id
    svc.record_attempt(AttemptRequest(task="draw an ascii histogram", code="def h(xs):\n    return '#' * len(xs)",
                                      passed=True))
    hits = svc.search_skills(SearchRequest(query="largest value of a list", mode="refine",
                                           failing_code="def f(xs): return max(xs)",
                                           feedback="ValueError: max() arg is an empty sequence")).skills
    assert hits[0].id == a


@pytest.mark.parametrize("bad, match", [
    (dict(code="x", passed=True), "task"),
    (dict(task="t", code="x", passed="sometimes"), "passed"),
    (dict(task="t", code="x", passed=True, tests_passed=5, tests_total=3), "exceeds"),
    (dict(task="t", code="a\ud800b", passed=True), "unicode"),
    (dict(task="t", code="a\x00", passed=True), "NUL"),
    (dict(task="t", code="x", passed=True, colour="red"), "colour"),
    (dict(task="t", code="x" * 200_001, passed=True), "code"),
])
def test_malformed_attempts_are_rejected_with_the_field_named(bad, match):
    with pytest.raises(ValidationError, match=match):
        AttemptRequest(**bad)


def test_refine_search_needs_the_failing_attempt():
    with pytest.raises(ValidationError, match="failing_code and/or feedback"):
        SearchRequest(query="q", mode="refine")


def test_evaluation_only_on_request_and_only_through_the_evaluator(svc):
    calls = []

    def evaluator(code, inputs):
        calls.append((code, inputs))
        return [([1, 2, 3], None), (None, "ZeroDivisionError")]

    req = AttemptRequest(task="sort descending", code=SORT_BAD, passed=False, evaluate_inputs=[[3, 1, 2], [0]])
    with pytest.raises(EvaluationUnavailableError):
        svc.record_attempt(req)
    assert svc.stats()["skills"] == 0
    svc.evaluator = evaluator
    r = svc.record_attempt(req)
    assert calls == [(SORT_BAD, [[3, 1, 2], [0]])]
    rec = svc.get_attempt(r.attempt_id)
    assert rec["observations"] == [{"input": [3, 1, 2], "output": [1, 2, 3]}]  # the crash is not behaviour
    assert r.new_skill_source == "hindsight"
    svc.record_attempt(AttemptRequest(task="t2", code="def g(): pass", passed=False,
                                      observations=[{"input": 1, "output": 2}]))
    assert len(calls) == 1  # not asked: not executed


def test_export_and_namespaces(svc):
    svc.record_attempt(AttemptRequest(task="reverse words", code=REVERSE, passed=True), namespace="team-a")
    assert svc.stats("team-a")["skills"] == 1 and svc.stats()["skills"] == 0
    lines = svc.export("team-a").splitlines()
    assert '"format": "mechacoder-soar-skills"' in lines[0] and len(lines) == 2
    with pytest.raises(InvalidInputError, match="namespace"):
        svc.stats("../etc")


def test_coalescing_embedder_merges_concurrent_calls_and_keeps_each_result():
    import threading
    import time

    import numpy as np

    from skills_store.embedding import CoalescingEmbedder

    class SlowEmbedder:  # stands in for the model: ~20 ms a call whatever the batch size
        batch_size = 64

        def __init__(self):
            self.calls = []

        def embed(self, texts):
            self.calls.append(list(texts))
            time.sleep(0.02)
            if "boom" in texts:
                raise RuntimeError("model failed")
            return np.array([[float(len(t)), float(ord(t[0]))] for t in texts], dtype=np.float32)

    inner = SlowEmbedder()
    emb = CoalescingEmbedder(inner)
    texts = [f"{chr(97 + i)}" * (i + 1) for i in range(16)]
    out: dict[int, np.ndarray] = {}
    threads = [threading.Thread(target=lambda i=i: out.__setitem__(i, emb.embed([texts[i]]))) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, t in enumerate(texts):
        assert out[i].tolist() == [[float(len(t)), float(ord(t[0]))]]
    assert len(inner.calls) < 16 and sorted(x for c in inner.calls for x in c) == sorted(texts)
    with pytest.raises(RuntimeError, match="model failed"):
        emb.embed(["boom"])
    assert emb.embed(["ok"]).tolist() == [[2.0, 111.0]]  # not left busy after an error
