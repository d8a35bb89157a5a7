"""The benchmarks' shared task selection and budget curves (benchmarks/transfer_eval.py): every
benchmark picks sorted ids under the protocol, and pass@2 at a budget follows ARC Prize's rule."""
from __future__ import annotations

import importlib.util
import sys

import pytest

from mechacoder_soar.arc import list_task_ids, load_task
from mechacoder_soar.arc.protocol import ProtocolError
from tests.conftest import ROOT


def _load(name: str):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "benchmarks" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


te = _load("transfer_eval")


def test_every_benchmark_selects_sorted_ids_under_the_protocol():
    ids = [t.id for t in te.select_tasks("arc1-train:transfer", 12)]
    assert ids == sorted(list_task_ids("arc1-train:transfer"))[:12]
    dsl = _load("dsl_coverage")
    assert [t.id for t in dsl.select("train", 7, False)] == sorted(list_task_ids("arc1-train"))[:7]
    assert [t.id for t in dsl.select("learn", 5, False)] == sorted(list_task_ids("arc1-train:learn"))[:5]
    with pytest.raises(ProtocolError, match="held out"):
        dsl.select("eval", 100, False)
    si = _load("self_improvement")
    args = si.parse_args(["--arc2", "--final"])
    assert si.eval_suites(args) == [("arc1-train:transfer", 30, False), ("arc2-train:transfer", 30, False),
                                    ("arc1-eval", None, True)]
    with pytest.raises(ProtocolError, match="held out"):
        si.eval_suites(si.parse_args(["--transfer-suite", "arc1-eval"]))
    st = _load("search_transfer")
    assert st.parse_args(["--final"]).eval_suite == "arc1-eval" and st.parse_args(["--final"]).eval_limit is None
    with pytest.raises(ProtocolError, match="drop --limit"):
        te.select_tasks("arc1-eval", 100, final=True)


def test_pass_at_2_at_a_budget_needs_every_test_output_between_the_first_two():
    # two test inputs; programs found at 10 (right on input 0), 30 (right on input 1), 50 (both)
    r = {"found": [(10, [True, False]), (30, [False, True]), (50, [True, True])]}
    assert te.at_budget(r, 5) == (False, False)
    assert te.at_budget(r, 10) == (True, False)    # train-solved, but input 1 never right
    assert te.at_budget(r, 30) == (True, True)     # the two submissions cover both inputs
    assert te.at_budget({"found": [(10, [True, False]), (30, [True, False]), (50, [True, True])]}, 60) == (True, False)
    rows = te.curve([r, {"found": []}], [10, 30])
    assert rows == [{"budget": 10, "train_solved": 1, "pass_at_2": 0}, {"budget": 30, "train_solved": 1, "pass_at_2": 1}]
    assert te.budgets_up_to(300) == [1, 5, 10, 25, 50, 100, 250, 300]


def test_a_real_search_records_when_each_program_was_found():
    task = load_task("arc1-train", "68b16354")  # a vertical flip: the seed DSL finds it at once
    pairs = [(e.input, e.output) for e in task.train]
    r = te.search_task(pairs, task.test_inputs, task.test_outputs, {}, 200, 30.0)
    at = r["found"][0][0]
    assert 1 <= at <= r["evaluated"] <= 200 and r["found"][0][1] == [True]
    assert te.at_budget(r, at) == (True, True) and te.at_budget(r, at - 1) == (False, False)


def test_the_summary_reports_the_lift_at_every_budget_and_how_much_sooner_the_library_finds():
    si = _load("self_improvement")
    seeds = [{"found": [(20, [True])]}, {"found": [(8, [True])]}, {"found": []}]
    learned = [{"found": [(2, [True])]}, {"found": [(4, [False]), (6, [True])]}, {"found": [(9, [True])]}]
    budgets = [5, 10, 25]
    rows = [{"suites": {"s": {"tasks": ["a", "b", "c"], "curve": te.curve(res, budgets), "results": res}}}
            for res in (seeds, learned)]
    summ = si.summarize(rows, [("s", 3, False)])["s"]
    assert summ["lift_by_budget"] == [
        {"budget": 5, "train_solved": None, "pass_at_2": None},       # the seeds solve nothing yet
        {"budget": 10, "train_solved": 3.0, "pass_at_2": 3.0},        # 1 -> 3
        {"budget": 25, "train_solved": 1.5, "pass_at_2": 1.5}]        # 2 -> 3
    assert summ["ratio_train_solved"] == 1.5 and summ["gained"] == ["c"] and summ["lost"] == []
    assert summ["median_programs_to_first"] == {"solved_by_both": 2, "seeds": 14.0, "learned": 3.0}
