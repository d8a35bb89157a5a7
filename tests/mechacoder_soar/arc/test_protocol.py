"""The development protocol: a fixed learn/transfer split of the train sets, eval suites only for
the final table, and one pass@2 (ARC Prize's rule) everywhere."""
from __future__ import annotations

import hashlib

import pytest

from mechacoder_soar.arc import ArcDataError, inputs_hit_at_2, list_task_ids, load_suite, pass_at_2, solved_at_2
from mechacoder_soar.arc.protocol import ProtocolError, check_suite, half_of, select_task_ids
from mechacoder_soar.domain import Example, Task
from mechacoder_soar.oracle import Oracle
from mechacoder_soar.suites import load_tasks


def test_split_is_deterministic_disjoint_and_covers_arc1_train():
    learn, transfer = list_task_ids("arc1-train:learn"), list_task_ids("arc1-train:transfer")
    assert learn == sorted(learn) and transfer == sorted(transfer)
    assert not set(learn) & set(transfer)
    assert sorted(learn + transfer) == list_task_ids("arc1-train")
    # neither half is degenerate: a hash splits 400 ids close to evenly
    assert 150 < len(learn) < 250
    # the rule is the documented one, recomputed here from the hash itself
    for t in learn[:20] + transfer[:20]:
        assert half_of(t) == ("learn" if int(hashlib.sha256(t.encode()).hexdigest()[0], 16) < 8 else "transfer")
    # computing it again (fresh loads) gives the same halves
    assert [t.id for t in load_suite("arc1-train:learn", limit=5)] == learn[:5]
    assert all(t.meta["suite"] == "arc1-train:transfer" for t in load_tasks("arc1-train:transfer", limit=3))


def test_arc2_halves_leave_out_every_eval_task():
    evals = set(list_task_ids("arc1-eval")) | set(list_task_ids("arc2-eval"))
    learn, transfer = set(list_task_ids("arc2-train:learn")), set(list_task_ids("arc2-train:transfer"))
    assert learn and transfer and not learn & transfer
    assert not (learn | transfer) & evals
    # an arc1-train task keeps its half in arc2-train: one split across both dev sets
    both = set(list_task_ids("arc1-train")) & (learn | transfer)
    assert both and all((t in learn) == (half_of(t) == "learn") for t in both)


def test_split_suite_errors_name_the_problem():
    with pytest.raises(ArcDataError, match="unknown half 'tune'"):
        load_suite("arc1-train:tune")
    with pytest.raises(ArcDataError, match="only arc1-train, arc2-train have learn/transfer halves"):
        load_suite("arc1-eval:learn")
    other = list_task_ids("arc1-train:transfer")[0]
    with pytest.raises(ArcDataError, match=f"not in suite 'arc1-train:learn': {other}"):
        load_suite("arc1-train:learn", task_ids=[other])


def test_development_refuses_eval_suites_and_final_needs_every_task():
    for suite in ("arc1-eval", "arc2-eval"):
        with pytest.raises(ProtocolError, match=f"'{suite}' is held out for the final table.*--final"):
            check_suite(suite)
        with pytest.raises(ProtocolError, match="drop --limit"):
            check_suite(suite, final=True, limit=40)
        with pytest.raises(ProtocolError, match="drop --limit/--task-ids"):
            check_suite(suite, final=True, task_ids=["x"])
        check_suite(suite, final=True)  # the whole suite: allowed
    with pytest.raises(ProtocolError, match="contains arc1-eval tasks"):
        check_suite("arc2-train")
    with pytest.raises(ProtocolError, match="--final is for the held-out eval suites"):
        check_suite("arc1-train:transfer", final=True)
    for ok in ("arc1-train", "arc1-train:learn", "arc2-train:transfer", "tb:builtin"):
        check_suite(ok, limit=3)


def test_benchmark_task_selection_is_sorted_and_refuses_eval():
    ids = select_task_ids("arc1-train:transfer", 10)
    assert ids == sorted(list_task_ids("arc1-train:transfer"))[:10]
    assert select_task_ids("arc1-train") == sorted(list_task_ids("arc1-train"))
    with pytest.raises(ProtocolError, match="held out"):
        select_task_ids("arc1-eval", 10)
    assert len(select_task_ids("arc1-eval", final=True)) == 400


def _task(outs: list) -> Task:
    return Task(id="t", kind="arc", instruction="", train=[Example(input=[[0]], output=[[0]])],
                test_inputs=[[[0]]] * len(outs), test_outputs=outs)


def test_pass_at_2_needs_every_test_output_within_two_submissions():
    a, b = [[1]], [[2]]
    task = _task([a, b])
    # each submission right on one input: both inputs hit within two submissions -> solved
    assert inputs_hit_at_2(task, [[a, [[9]]], [[[9]], b]]) == [True, True]
    assert pass_at_2(task, [[a, [[9]]], [[[9]], b]]) is True
    # one input never right: not solved, though half its inputs were hit
    assert inputs_hit_at_2(task, [[a, [[9]]], [a, a]]) == [True, False]
    assert pass_at_2(task, [[a, [[9]]], [a, a]]) is False
    assert pass_at_2(task, [[a, b]]) is True
    assert solved_at_2([]) is False
    with pytest.raises(ValueError, match="at most 2"):
        pass_at_2(task, [[a, b]] * 3)
    # the oracle (what the loop's scorer reads) applies the same rule, and only the first two count
    o = Oracle({"t": task})
    assert o.pass_at_2("t", [[a, [[9]]], [a, a]]) is False
    assert o.pass_at_2("t", [[a, [[9]]], [[[9]], b]]) is True
    assert o.pass_at_2("t", [[[[9]], [[9]]], [[[9]], [[9]]], [a, b]]) is False
    assert o.inputs_hit_at_2("t", [[a, [[9]]]]) == [True, False]


def test_single_eval_tasks_are_refused_for_development():
    from mechacoder_soar.arc.protocol import check_task

    check_task("arc1-train", list_task_ids("arc1-train")[0])
    with pytest.raises(ProtocolError, match="held-out eval suite"):
        check_task("arc1-eval", list_task_ids("arc1-eval")[0])
    reused = sorted(set(list_task_ids("arc2-train")) & set(list_task_ids("arc1-eval")))
    assert reused
    with pytest.raises(ProtocolError, match="held-out eval suite"):
        check_task("arc2-train", reused[0])
