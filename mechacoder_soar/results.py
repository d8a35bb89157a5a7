"""What one iteration of a run produces, as typed records: the per-task search summary
(`task_search.search_task`), the learning summary (`learning.learn_iteration`) and the scored
iteration row that metrics.json lists (`scoring.score_iteration`).

TypedDicts rather than dataclasses: they travel as plain dicts through LangGraph's checkpoints,
Ray and JSON, and the type checker still holds every producer and reader to one set of keys.
"""
from __future__ import annotations

from typing import Any, Optional, TypedDict

Grid = list[list[int]]


class TaskSummary(TypedDict):
    """One task's search in one iteration (no hidden test outputs: the scorer adds those)."""
    task_id: str
    iteration: int
    attempts: int                       # attempts journalled for the task this iteration
    n_correct: int                      # ... of which train-correct
    train_solved: bool
    best_train_accuracy: float
    best_attempt_id: Optional[str]
    submissions: list[list[Any]]        # voted test outputs, best group first
    vote_weights: list[float]
    vote_attempt_ids: list[list[str]]   # each group's first attempt ids (the pseudo-label for learning)
    wall_s: float
    failure: Optional[str]              # why an unsolved task stayed unsolved (None when solved)


class LearnSummary(TypedDict):
    iteration: int
    new_skills: int
    duplicates: int
    library_size: int
    library_before: int
    by_source: dict[str, int]


class TaskScore(TypedDict):
    """A task's line in an iteration row: its summary's figures and its test score."""
    task_id: str
    attempts: int
    n_correct: int
    train_solved: bool
    best_train_accuracy: float
    test_pass_at_2: Optional[float]        # 1.0 only when every test output is right within two submissions
    best_attempt_id: Optional[str]
    test_inputs_hit_at_2: Optional[float]  # partial credit: fraction of test inputs hit
    failure: Optional[str]


class IterationRow(TypedDict):
    """One entry of metrics.json's `iterations`."""
    iteration: int
    tasks: int
    attempts: int
    unparsed: int                       # completions without a usable program (journalled as error attempts)
    train_solved: int
    test_pass_at_2: Optional[float]
    test_inputs_hit_at_2: Optional[float]
    new_skills: int
    library_size: int
    by_source: dict[str, int]
    wall_s: float
    diversity: dict[str, Any]
    diversity_collapsed: bool
    per_task: list[TaskScore]
