"""The outcome of one trial: an attempt script run in a task's environment, then its tests."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from .pytest_parser import SummaryNotFound, is_resolved, parse_pytest_summary

OUTPUT_LIMIT = 20_000  # characters kept of each captured stream


def bound(text: str, limit: int = OUTPUT_LIMIT) -> str:
    """Keep the head and the tail: pytest's verdict is at the end, the first error at the start."""
    if len(text) <= limit:
        return text
    head = limit // 4
    tail = limit - head
    return text[:head] + f"\n...[{len(text) - limit} characters cut]...\n" + text[-tail:]


@dataclass
class TrialResult:
    task_id: str
    resolved: bool = False
    tests_passed: int = 0
    tests_total: int = 0
    test_results: dict[str, str] = field(default_factory=dict)  # name -> PASSED | FAILED
    script_output: str = ""
    script_exit: int | None = None  # None: killed by the time limit, or never ran
    test_output: str = ""
    test_exit: int | None = None
    unhonoured_steps: list[str] = field(default_factory=list)
    build_steps: list[str] = field(default_factory=list)  # every build step with how it was honoured
    end_state: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    wall_s: float = 0.0
    backend: str = "local"
    reward: float | None = None  # TB2: the verifier's reward.txt
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def judge(res: TrialResult, task_format: str, test_output: str, read_reward: Callable[[], str]) -> None:
    """Fill in `res`'s verdict, the same for every backend. Every task's pytest summary is parsed
    for the per-test results; a TB1 task is resolved when its tests all pass, a TB2 task when the
    reward its verifier wrote (`read_reward()`, asked only for TB2; it may raise OSError) is 1.0."""
    try:
        results = parse_pytest_summary(test_output)
    except SummaryNotFound as e:
        results = {}
        if task_format == "tb1":
            res.error = f"test output unparseable: {e}"
    res.test_results = results
    res.tests_total = len(results)
    res.tests_passed = sum(1 for v in results.values() if v == "PASSED")
    if task_format == "tb1":
        res.resolved = is_resolved(results)
        return
    try:
        res.reward = float(read_reward().strip().splitlines()[0])
    except (OSError, ValueError, IndexError):
        res.reward = None
        res.error = res.error or "the verifier wrote no reward to /logs/verifier/reward.txt"
    res.resolved = res.reward is not None and res.reward >= 1.0
