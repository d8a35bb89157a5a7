"""Domain records shared by every engine: tasks and attempts. Pydantic because they cross
boundaries (files, CLI, servers); engines inside use them as plain value objects.

Test outputs are kept apart from what a proposer may see: `Task.public()` drops them, and the
loop only ever hands `public()` tasks to proposers (see `tests/mechacoder_soar/test_domain.py`).
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1

TaskKind = Literal["arc", "terminal", "code"]
Mode = Literal["sample", "refine"]
Grid = list[list[int]]


class Example(BaseModel):
    model_config = ConfigDict(extra="forbid")
    input: Any
    output: Any = None


class Task(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: int = SCHEMA_VERSION
    id: str = Field(min_length=1)
    kind: TaskKind
    instruction: str = ""
    train: list[Example] = Field(default_factory=list)
    test_inputs: list[Any] = Field(default_factory=list)
    test_outputs: list[Any] | None = Field(default=None, repr=False)
    meta: dict[str, Any] = Field(default_factory=dict)

    def public(self) -> "Task":
        """The task as a proposer may see it: no test outputs."""
        return self.model_copy(update={"test_outputs": None})


class Attempt(BaseModel):
    """One executed program for one task. Field names map onto SOAR's released dataset in
    `to_soar_record` (task_id, code, model, predicted_*_output, correct_*_input)."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = SCHEMA_VERSION
    id: str
    task_id: str
    code: str
    mode: Mode = "sample"
    parent_id: str | None = None
    proposer: str = ""
    iteration: int = 0
    train_outputs: list[Any] = Field(default_factory=list)
    train_correct: list[bool] = Field(default_factory=list)
    train_accuracy: float = 0.0
    test_outputs: list[Any] = Field(default_factory=list)
    test_correct: list[bool] | None = None
    pixel_accuracy: float | None = None
    error: str | None = None
    runtime_s: float = 0.0
    context_skill_ids: list[str] = Field(default_factory=list)
    meta: dict[str, Any] = Field(default_factory=dict)

    @property
    def fully_correct(self) -> bool:
        return bool(self.train_correct) and all(self.train_correct)

    def to_soar_record(self) -> dict[str, Any]:
        rec = {
            "task_id": self.task_id,
            "code": self.code,
            "model": self.proposer,
            "predicted_train_output": self.train_outputs,
            "predicted_test_output": self.test_outputs,
            "correct_train_input": self.train_correct,
            "correct_test_input": self.test_correct,
        }
        rec.update(self.model_dump(exclude={"task_id", "code", "proposer"}))
        return rec


def attempt_id(task_id: str, code: str, iteration: int, mode: str, parent_id: str | None, salt: str = "") -> str:
    """Deterministic id: the same program proposed for the same task in the same slot is the same
    attempt, which is what makes resume idempotent (no duplicates after a replay)."""
    h = hashlib.sha256(json.dumps([task_id, code, iteration, mode, parent_id, salt]).encode()).hexdigest()
    return h[:20]
