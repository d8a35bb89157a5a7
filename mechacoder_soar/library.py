"""What the engines need of a skill library, as protocols: `skills_store.SkillStore` implements
both; a Ray worker's `distributed.LibrarySnapshot` and the curriculum's `NamespaceView` implement
the reading side (the snapshot refuses writes: learning happens in the driver).
"""
from __future__ import annotations

from typing import Any, Iterable, Protocol, runtime_checkable

from skills_store.schema import AddResult, ScoredSkill, Skill, SkillIn


@runtime_checkable
class LibraryReader(Protocol):
    """Retrieval and the whole-library scans the proposers steer their search with."""

    def retrieve_for_sampling(self, task_text: str, k: int = 5, **kw: Any) -> list[ScoredSkill]: ...

    def retrieve_for_refinement(self, task_text: str, attempt_text: str, k: int = 5, **kw: Any) -> list[ScoredSkill]: ...

    def all(self) -> list[Skill]: ...

    def count(self) -> int: ...

    def stats(self) -> dict: ...


@runtime_checkable
class Library(LibraryReader, Protocol):
    """A run's library: read while searching, written by learning (new skills, attempt outcomes)."""

    def add(self, skills: Iterable[SkillIn | dict], namespace: str | None = None, *,
            iteration_event: dict | None = None) -> AddResult: ...

    def record_attempt(self, attempt_id: str, record: dict, skill_ids: Iterable[str], mode: str,
                       success: bool | float, namespace: str | None = None) -> bool: ...
