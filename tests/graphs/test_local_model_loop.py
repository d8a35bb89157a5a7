"""The real product path with a real model: the LangGraph loop drives the in-process SmolLM2
(`local/smollm2`, through litellm's custom provider) over an ARC task and a Terminal-Bench task.
Every completion is executed in the sandbox, recorded, and every valid attempt is relabelled into
the library. Quality is not asserted (a 135M model writes poor code); the plumbing is. Greedy decoding
keeps the completions (and so the test) deterministic."""
import json

import pytest

from graphs.runner import run_loop
from mechacoder_soar.config import RunConfig
from mechacoder_soar.domain import Attempt
from mechacoder_soar.hindsight import degenerate_reason
from mechacoder_soar.suites import load_tasks
from mechacoder_soar.terminal import builtin_suite_path

pytestmark = pytest.mark.slow

MODEL = "local/smollm2"


def _records(run_dir):
    return [json.loads(line) for line in (run_dir / "attempts.jsonl").read_text().splitlines()]


def _check_run(metrics, recs, store, budget):
    [row] = metrics["iterations"]
    assert row["attempts"] == len(recs) and 1 <= len(recs) <= budget
    assert all(r["model"] == MODEL for r in recs)
    # every attempt was executed: either per-example outputs or an error with a reason
    for r in recs:
        assert r["error"] or len(r["predicted_train_output"]) == len(r["correct_train_input"]) > 0
    # only programs from this run were learned (the store started empty)
    learned = {s.code.strip() for s in store.all() if s.source in ("solved", "hindsight")}
    assert learned <= {r["code"].strip() for r in recs}
    return learned


def _attempt(rec):
    fields = {k: v for k, v in rec.items() if k in Attempt.model_fields}
    return Attempt(**fields, proposer=rec["model"])


def test_arc_loop_with_in_process_smollm2(tmp_path, store):
    run_dir = tmp_path / "arc"
    cfg = RunConfig(suite="arc1-train", task_ids=["6150a2bd"], iterations=1, budget_sample=2, budget_refine=1,
                    proposer=MODEL, temperature=0.0, max_tokens=128, run_dir=str(run_dir), concurrency=1)
    metrics = run_loop(cfg, library=store)
    recs = _records(run_dir)
    learned = _check_run(metrics, recs, store, budget=3)
    assert all("transform" in r["code"] for r in recs)  # extraction kept only transform() programs
    # hindsight: every attempt that is not degenerate (SOAR's filter) was relabelled into a skill
    [task] = load_tasks("arc1-train", task_ids=["6150a2bd"])
    relabellable = {r["code"].strip() for r in recs if degenerate_reason(task, _attempt(r)) is None}
    assert relabellable <= learned


def test_terminal_loop_with_in_process_smollm2(tmp_path, store):
    run_dir = tmp_path / "tb"
    cfg = RunConfig(suite=f"tb:{builtin_suite_path()}", task_ids=["hello-file"], iterations=1, budget_sample=2,
                    budget_refine=1, proposer=MODEL, temperature=0.0, max_tokens=96, run_dir=str(run_dir),
                    concurrency=1)
    metrics = run_loop(cfg, library=store)
    recs = _records(run_dir)
    _check_run(metrics, recs, store, budget=3)
    # the task's own tests ran in the Docker-free sandboxed runner and scored each script
    assert all(0.0 <= r["train_accuracy"] <= 1.0 for r in recs)
