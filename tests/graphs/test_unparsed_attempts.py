"""Every completion is an attempt: an LLM completion without a usable program is journalled as an
error attempt with its raw text, spends the budget, is counted per iteration (`unparsed`), shows in
the report, and REX may choose it as a parent. The proposer is the real LLMProposer on litellm's
own `mock_response` (the real litellm.completion path, no network); the store and the sandboxed
executor are real."""
import json

import pytest

import mechacoder_soar.proposers.factory as factory
from graphs.runner import run_loop
from mechacoder_soar.config import RunConfig
from mechacoder_soar.proposers.llm import LLMConfig, LLMProposer
from mechacoder_soar.report import ReportConfig, build_report
from mechacoder_soar.task_search import UNPARSED_ERROR

pytestmark = pytest.mark.store_backends("embedded")

FLIP = "68b16354"
RAMBLE = "The grid looks symmetric. I think the answer is to"


def test_unparsable_completions_are_error_attempts(tmp_path, store, monkeypatch):
    monkeypatch.setattr(factory, "make_proposer", lambda *a: LLMProposer(
        LLMConfig(model="openai/gpt-4o-mini", extra={"mock_response": RAMBLE})))
    run_dir = tmp_path / "run"
    cfg = RunConfig(suite="arc1-train", task_ids=[FLIP], iterations=1, budget_sample=2, budget_refine=2,
                    run_dir=str(run_dir), workers=1)
    metrics = run_loop(cfg, library=store)
    recs = [json.loads(line) for line in (run_dir / "attempts.jsonl").read_text().splitlines()]
    # the whole budget was spent: 2 samples, then 2 refinements whose parents REX chose among them
    assert len(recs) == 4
    assert all(r["code"] == RAMBLE and r["error"] == UNPARSED_ERROR and r["meta"]["unparsed"] for r in recs)
    assert all(r["meta"]["completion"] == RAMBLE and r["predicted_train_output"] == [] for r in recs)
    samples = {r["id"] for r in recs if r["mode"] == "sample"}
    refines = [r for r in recs if r["mode"] == "refine"]
    assert len(samples) == 2 and len(refines) == 2 and {r["parent_id"] for r in refines} <= samples | {r["id"] for r in refines}
    [row] = metrics["iterations"]
    assert row["unparsed"] == 4 and row["attempts"] == 4 and row["train_solved"] == 0
    assert "error: unparsed" in row["per_task"][0]["failure"]
    # nothing unparsable became a skill
    assert not [s for s in store.all() if s.code == RAMBLE]
    html = build_report(ReportConfig(run_dir=str(run_dir))).read_text()
    # iteration, tasks, attempts, unparsed
    assert "<th>attempts</th><th>unparsed</th>" in html and "<tr><td>0</td><td>1</td><td>4</td><td>4</td>" in html
