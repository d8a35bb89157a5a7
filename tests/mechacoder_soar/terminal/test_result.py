"""The verdict every backend gives a trial (terminal/result.py `judge`): TB1 by its pytest summary,
TB2 by the reward its verifier wrote; a missing verdict is an error that says what is missing."""
from __future__ import annotations

import pytest

from mechacoder_soar.terminal.result import TrialResult, judge

SUMMARY = """\
============================= test session starts ==============================
collected 2 items

tests/test_outputs.py ..                                                 [100%]

=========================== short test summary info ============================
PASSED tests/test_outputs.py::test_file_exists
PASSED tests/test_outputs.py::test_content
============================== 2 passed in 0.01s ===============================
"""


def _never() -> str:
    raise AssertionError("a TB1 verdict must not read a reward")


def test_tb1_is_resolved_by_its_pytest_summary_and_never_reads_a_reward():
    res = TrialResult(task_id="t")
    judge(res, "tb1", SUMMARY, _never)
    assert res.resolved and (res.tests_passed, res.tests_total) == (2, 2) and res.error is None
    failed = SUMMARY.replace("PASSED tests/test_outputs.py::test_content", "FAILED tests/test_outputs.py::test_content")
    res = TrialResult(task_id="t")
    judge(res, "tb1", failed, _never)
    assert not res.resolved and (res.tests_passed, res.tests_total) == (1, 2)


def test_tb1_without_a_summary_is_an_error_not_a_silent_failure():
    res = TrialResult(task_id="t")
    judge(res, "tb1", "Traceback: the runner crashed before pytest", _never)
    assert not res.resolved and res.tests_total == 0 and "unparseable" in res.error


@pytest.mark.parametrize("reward, resolved", [("1\n", True), ("1.0", True), ("0.5\n", False), ("0", False)])
def test_tb2_is_resolved_by_a_full_reward(reward, resolved):
    res = TrialResult(task_id="t")
    judge(res, "tb2", "no pytest here", lambda: reward)
    assert res.resolved is resolved and res.reward == float(reward) and res.error is None


@pytest.mark.parametrize("read", [lambda: "", lambda: "not a number", lambda: (_ for _ in ()).throw(OSError("gone"))])
def test_tb2_without_a_reward_says_so(read):
    res = TrialResult(task_id="t")
    judge(res, "tb2", SUMMARY, read)
    assert not res.resolved and res.reward is None and "reward.txt" in res.error
    assert res.tests_passed == 2   # the per-test results are still kept
