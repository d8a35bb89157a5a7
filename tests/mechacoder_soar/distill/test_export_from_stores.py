"""Distillation rows from stores filled the two real ways: by the loop (`soar run`) and by agents
over the memory service (what MCP and REST call). Real store, real sandbox, real service."""
from __future__ import annotations

import json

import pytest

from graphs.runner import run_loop
from mechacoder_soar.cli.serve import hindsight_relabeller
from mechacoder_soar.config import RunConfig
from mechacoder_soar.library_search.config import SearchConfig
from mechacoder_soar.distill.examples import examples_from_skills
from mechacoder_soar.library_search.config import SearchConfig
from mechacoder_soar.proposers.prompts import extract_code
from skills_store.service import AttemptRequest, MemoryService

pytestmark = pytest.mark.store_backends("embedded")

ADD_TASK = "Write solve(pair) returning the sum of the two numbers in the pair."
WRONG = "def solve(pair):\n    return pair[0] - pair[1]\n"
RIGHT = "def solve(pair):\n    return pair[0] + pair[1]\n"
UPPER_TASK = "Write solve(s) returning s in upper case."
UPPER_BAD = "def solve(s):\n    return s.lower()\n"


def _ledger(store) -> list[dict]:
    return list(reversed(store.attempts(10_000)))


def test_rows_from_a_store_agents_filled(store):
    svc = MemoryService(store, relabeller=hindsight_relabeller())
    fb = "AssertionError: solve([1, 2]) returned -1, expected 3"
    svc.record_attempt(AttemptRequest(task=ADD_TASK, code=WRONG, passed=False, tests_passed=0, tests_total=2, feedback=fb))
    svc.record_attempt(AttemptRequest(task=ADD_TASK, code=RIGHT, passed=True, mode="refine", tests_passed=2, tests_total=2,
                                      observations=[{"input": [1, 2], "output": 3}]))
    svc.record_attempt(AttemptRequest(task=UPPER_TASK, code=UPPER_BAD, passed=False,
                                      observations=[{"input": "Ab", "output": "ab"}]))
    rows = examples_from_skills(store.all(), attempts=_ledger(store))
    sample = [r for r in rows if r.kind == "sample"]
    refine = [r for r in rows if r.kind == "refine"]
    # the pass: task text -> program, once (its skill and its ledger record are the same row)
    add_rows = [r for r in sample if ADD_TASK in r.messages[-1]["content"]]
    assert len(add_rows) == 1 and extract_code(add_rows[0].response, "code", "solve").strip() == RIGHT.strip()
    # the failure then the fix: a refinement row showing the failing program and its feedback
    [rr] = refine
    assert WRONG.strip() in rr.messages[-1]["content"] and fb in rr.messages[-1]["content"]
    assert extract_code(rr.response, "code", "solve").strip() == RIGHT.strip() and rr.bin == "0"
    # the failure with observed behaviour: a hindsight row for "produce what it produced"
    hind = [r for r in sample if r.meta["source"] == "hindsight"]
    assert len(hind) == 1 and "'ab'" in hind[0].messages[-1]["content"] and UPPER_BAD.strip() in hind[0].response


def test_rows_from_a_loop_store_include_tasks_solved_by_a_seed_program(tmp_path, store):
    """A task solved by a program identical to a seed skill adds no new skill (content dedup);
    the ledger keeps the solve, so its row is still exported."""
    cfg = RunConfig(suite="arc1-train", task_ids=["74dd1130"], iterations=1, budget_sample=2, budget_refine=0,
                    search=SearchConfig(budget=300), run_dir=str(tmp_path / "run"), concurrency=1, workers=1)
    run_loop(cfg, library=store)
    solved = [s for s in store.all() if s.source == "solved"]
    assert all(json.loads(s.meta["task_json"])["id"] == "74dd1130" for s in solved)
    rows = examples_from_skills(store.all(), attempts=_ledger(store))
    mine = [r for r in rows if r.task_id == "74dd1130"]
    assert mine and all(extract_code(r.response, "arc") for r in mine)
    ledger_solves = [rec for rec in _ledger(store) if rec.get("passed")]
    seeds = {s.code for s in store.all() if s.source == "seed"}
    assert any(rec["code"] in seeds for rec in ledger_solves)  # the case the ledger is there for
    # every program the run stored as a solve is a row, whether or not its skill was a duplicate
    assert ledger_solves and all(any(rec["code"].strip() in r.response for r in mine) for rec in ledger_solves)
    # hindsight skills carry their relabelled task: the prompt shows the program's own outputs
    hind = [s for s in store.all() if s.source == "hindsight"]
    assert all(json.loads(s.meta["task_json"])["id"].startswith("hindsight:74dd1130:") for s in hind)
