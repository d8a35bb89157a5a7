"""The only holder of hidden test outputs.

The loop keeps public tasks for search and learning; the Oracle scores submissions afterwards.
It logs every read, so a test can prove that test-time adaptation never looked before scoring.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .domain import Task


@dataclass
class Oracle:
    tasks: dict[str, Task]
    reads: list[tuple[str, str]] = field(default_factory=list)  # (phase, task id)

    def has_answers(self, task_id: str) -> bool:
        return self.tasks[task_id].test_outputs is not None

    def test_correct(self, task_id: str, test_outputs: list[Any], phase: str = "score") -> list[bool] | None:
        t = self.tasks[task_id]
        if t.test_outputs is None:
            return None
        self.reads.append((phase, task_id))
        return [o == e for o, e in zip(test_outputs, t.test_outputs)] + [False] * max(0, len(t.test_outputs) - len(test_outputs))

    def pass_at_2(self, task_id: str, submissions: list[list[Any]], phase: str = "score") -> float | None:
        """ARC scoring: a test input counts if either submission got it; task score = fraction of inputs."""
        t = self.tasks[task_id]
        if t.test_outputs is None:
            return None
        self.reads.append((phase, task_id))
        if not t.test_outputs:
            return 0.0
        hit = [any(i < len(s) and s[i] == e for s in submissions[:2]) for i, e in enumerate(t.test_outputs)]
        return sum(hit) / len(hit)
