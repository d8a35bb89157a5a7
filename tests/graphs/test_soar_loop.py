"""The loop end to end with the real store, executor, graph and checkpointer. The proposer is a
test double here (unit level); the real proposers have their own end-to-end tests."""
import json

import pytest

from graphs.runner import RunExists, run_loop
from mechacoder_soar.config import RunConfig
from mechacoder_soar.proposers.base import Proposal

# arc1-train tasks solved by simple whole-grid programs
FLIP_TASK = "68b16354"      # upside-down flip
TRANSPOSE_TASK = "74dd1130"  # transpose
OTHER_TASK = "3c9b0459"      # rotate 180

GOOD = {
    FLIP_TASK: "def transform(grid):\n    return grid[::-1]",
    TRANSPOSE_TASK: "def transform(grid):\n    return [list(r) for r in zip(*grid)]",
    OTHER_TASK: "def transform(grid):\n    return [r[::-1] for r in grid[::-1]]",
}
WRONG = "def transform(grid):\n    return [[(v + 1) % 10 for v in r] for r in grid]"
BROKEN = "def transform(grid):\n    return 1 / 0"


class ScriptedProposer:
    """Samples one wrong, one crashing and (on refinement) the right program."""

    name = "scripted"

    def __init__(self, fail_on: str | None = None):
        self.calls: list[tuple[str, str]] = []
        self.fail_on = fail_on
        self.seen_test_outputs = []

    def sample(self, task, skills, n, seed=0):
        self.calls.append(("sample", task.id))
        self.seen_test_outputs.append(task.test_outputs)
        if task.id == self.fail_on:
            raise RuntimeError("simulated crash mid-run")
        return [Proposal(WRONG, [s.id for s in skills[:2]]), Proposal(BROKEN)][:n]

    def refine(self, task, parent, skills, n, seed=0):
        self.calls.append(("refine", task.id))
        return [Proposal(GOOD[task.id], [s.id for s in skills[:1]])]


def cfg(tmp_path, **kw):
    base = dict(suite="arc1-train", task_ids=[FLIP_TASK, TRANSPOSE_TASK, OTHER_TASK], iterations=2,
                budget_sample=2, budget_refine=2, run_dir=str(tmp_path / "run"), concurrency=2, workers=2)
    base.update(kw)
    return RunConfig(**base)


def run(c, library, proposer, **kw):
    import mechacoder_soar.proposers.factory as f
    orig = f.make_proposer
    f.make_proposer = lambda cfg, lib, kinds: proposer
    try:
        return run_loop(c, library=library, **kw)
    finally:
        f.make_proposer = orig


def test_full_run_records_learns_and_scores(tmp_path, library):
    p = ScriptedProposer()
    before = library.stats()
    metrics = run(cfg(tmp_path), library, p)
    rows = metrics["iterations"]
    assert [r["iteration"] for r in rows] == [0, 1]
    for r in rows:
        assert r["tasks"] == 3 and r["train_solved"] == 3 and r["test_pass_at_2"] == 1.0
        assert set(r) >= {"iteration", "tasks", "attempts", "train_solved", "test_pass_at_2", "new_skills", "library_size", "wall_s"}
    # proposers never saw a test output
    assert all(t is None for t in p.seen_test_outputs)
    recs = [json.loads(l) for l in (tmp_path / "run" / "attempts.jsonl").read_text().splitlines()]
    assert len(recs) == len({r["id"] for r in recs}) == rows[0]["attempts"] + rows[1]["attempts"]
    for key in ("task_id", "code", "model", "predicted_train_output", "predicted_test_output",
                "correct_train_input", "correct_test_input"):
        assert key in recs[0]
    good = [r for r in recs if r["code"] in GOOD.values()]
    assert good and all(r["correct_test_input"] == [True] * len(r["correct_test_input"]) for r in good)
    assert all(r["error"] for r in recs if r["code"] == BROKEN)  # executed (sandboxed), error recorded
    after = library.stats()
    # the fixes became solved skills (the flip fix duplicates the seed flip skill: dedup keeps one)
    assert after["by_source"].get("solved", 0) == 2
    assert after["by_source"].get("hindsight", 0) >= 1      # the wrong program, relabelled
    assert after["sampling_uses"] > before["sampling_uses"]  # EMAs of shown skills moved
    assert after["refine_uses"] > before["refine_uses"]
    assert json.loads((tmp_path / "run" / "config.json").read_text())["budget_sample"] == 2


def test_resume_after_crash_continues_without_duplicates(tmp_path, library):
    c = cfg(tmp_path, iterations=1)
    crashing = ScriptedProposer(fail_on=OTHER_TASK)
    with pytest.raises(Exception, match="simulated crash"):
        run(c, library, crashing)
    done_before = {t for kind, t in crashing.calls if kind == "refine"}
    with pytest.raises(RunExists, match="--resume"):
        run(c, library, ScriptedProposer())
    p = ScriptedProposer()
    metrics = run(c, library, p, resume=True)
    assert metrics["iterations"][0]["train_solved"] == 3
    # tasks that had finished before the crash were not searched again
    assert {t for _, t in p.calls}.isdisjoint(done_before - {OTHER_TASK})
    recs = [json.loads(l) for l in (tmp_path / "run" / "attempts.jsonl").read_text().splitlines()]
    assert len(recs) == len({r["id"] for r in recs})
    # extending a finished run by one iteration
    metrics = run(cfg(tmp_path, iterations=2), library, ScriptedProposer(), resume=True)
    assert [r["iteration"] for r in metrics["iterations"]] == [0, 1]
