"""The outcome of one trial: an attempt script run in a task's environment, then its tests."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

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
