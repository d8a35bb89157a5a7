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

    def inputs_hit_at_2(self, task_id: str, submissions: list[list[Any]], phase: str = "score") -> list[bool] | None:
        """Per test input: did either of the first two submissions get it exactly?"""
        t = self.tasks[task_id]
        if t.test_outputs is None:
            return None
        self.reads.append((phase, task_id))
        return [any(i < len(s) and s[i] == e for s in submissions[:2]) for i, e in enumerate(t.test_outputs)]

    def pass_at_2(self, task_id: str, submissions: list[list[Any]], phase: str = "score") -> bool | None:
        """ARC Prize's rule: the task counts only when every test output is right within two
        submissions (`arc.scoring.solved_at_2`)."""
        from .arc.scoring import solved_at_2

        hits = self.inputs_hit_at_2(task_id, submissions, phase)
        return None if hits is None else solved_at_2(hits)
