"""The proposer protocol: the loop knows this and nothing about vendors or engines.

A proposer turns a (public) task plus retrieved skills into candidate programs. It never sees
test outputs: the loop hands it `Task.public()`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from skills_store.schema import Skill

from ..domain import Attempt, Task


@dataclass
class Proposal:
    code: str
    # skills shown as context (or used as building blocks) for this proposal: their EMAs move
    # with the outcome of the attempt.
    context_skill_ids: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    # True when the proposer's output held no usable program (an LLM completion without a
    # parsable block): `code` is then the raw text. The loop still journals it, as an error
    # attempt that is never executed, so every completion is an attempt and spends budget.
    unparsed: bool = False


@runtime_checkable
class Proposer(Protocol):
    name: str

    def sample(self, task: Task, skills: list[Skill], n: int, seed: int = 0) -> list[Proposal]:
        """Up to n first-attempt programs for `task`, with `skills` as context."""
        ...

    def refine(
        self, task: Task, parent: Attempt, skills: list[Skill], n: int, seed: int = 0
    ) -> list[Proposal]:
        """Up to n improved versions of `parent`, given its execution feedback."""
        ...
