"""The environment protocol: how the loop executes and reads programs for one kind of task.

The loop knows this protocol and the proposer protocol, never an executor or a task format.
Environments only ever receive public tasks (no test outputs): scoring against hidden outputs is
the `Oracle`'s job (mechacoder_soar/oracle.py), after the search.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from ..domain import Attempt, Task
from ..hindsight import Relabelled


@dataclass
class Evaluation:
    train_outputs: list[Any]
    train_correct: list[bool]
    train_accuracy: float
    test_outputs: list[Any]
    error: str | None = None
    runtime_s: float = 0.0
    pixel_accuracy: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)


class Environment(Protocol):
    kind: str

    def evaluate(self, task: Task, codes: list[str]) -> list[Evaluation]:
        """Run each program (sandboxed) on the task's train and test inputs."""
        ...

    def describe(self, task: Task) -> str:
        """Deterministic text used to retrieve skills for the task (and to describe solved skills)."""
        ...

    def feedback(self, task: Task, attempt: Attempt) -> str:
        """What went wrong, as text: the refinement retrieval query and the proposer's feedback."""
        ...

    def relabel(self, task: Task, attempt: Attempt, iteration: int) -> Relabelled | None:
        """Hindsight: the synthetic task this attempt solves, or None if degenerate."""
        ...

    def close(self) -> None: ...
