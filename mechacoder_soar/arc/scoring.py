"""Scoring as in SOAR: exact match per pair. Train accuracy is the fraction of train pairs right;
pixel accuracy is a diagnostic only (never used for selection by this module); test correctness is
for reporting.

pass@2 is ARC Prize's rule, and the only meaning "pass@2" has in this project: a task counts as
solved when EVERY one of its test outputs is exact in one of (at most) two submissions. The
per-test-input view (which inputs some submission got) is `inputs_hit_at_2`; its mean over a task's
inputs is a partial-credit diagnostic, never called pass@2."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from ..domain import Task


@dataclass(frozen=True)
class ArcScore:
    train_correct: list[bool]
    train_accuracy: float
    test_correct: list[bool] | None
    pixel_accuracy: float

    @property
    def fully_correct(self) -> bool:
        return bool(self.train_correct) and all(self.train_correct)


def _same(a: Any, b: Any) -> bool:
    return a is not None and b is not None and a == b


def _pixels(pred: Any, want: Any) -> float:
    """Fraction of equal cells when shapes agree, else 0."""
    if not isinstance(pred, list) or not isinstance(want, list) or len(pred) != len(want) or not want:
        return 0.0
    total = hits = 0
    for pr, wr in zip(pred, want):
        if not isinstance(pr, list) or len(pr) != len(wr):
            return 0.0
        total += len(wr)
        hits += sum(1 for p, w in zip(pr, wr) if p == w)
    return hits / total if total else 0.0


def score_outputs(task: Task, train_outputs: Sequence[Any], test_outputs: Sequence[Any] | None = None) -> ArcScore:
    """Score predicted outputs (None where the program failed) against the task's answers."""
    if len(train_outputs) != len(task.train):
        raise ValueError(f"task {task.id}: {len(train_outputs)} train outputs for {len(task.train)} train pairs")
    correct = [_same(p, ex.output) for p, ex in zip(train_outputs, task.train)]
    acc = sum(correct) / len(correct) if correct else 0.0
    pix = sum(_pixels(p, ex.output) for p, ex in zip(train_outputs, task.train)) / len(task.train) if task.train else 0.0
    test_correct = None
    if test_outputs is not None and task.test_outputs is not None:
        if len(test_outputs) != len(task.test_outputs):
            raise ValueError(f"task {task.id}: {len(test_outputs)} test outputs for {len(task.test_outputs)} test inputs")
        test_correct = [_same(p, w) for p, w in zip(test_outputs, task.test_outputs)]
    return ArcScore(correct, acc, test_correct, pix)


def inputs_hit_at_2(task: Task, answers: Sequence[Sequence[Any]]) -> list[bool]:
    """Per test input: is it exact in either of (at most) two submitted answer lists?"""
    if task.test_outputs is None:
        raise ValueError(f"task {task.id} has no test outputs (public view?); cannot score pass@2")
    if len(answers) > 2:
        raise ValueError(f"pass@2 takes at most 2 answer lists, got {len(answers)}")
    n = len(task.test_outputs)
    for k, a in enumerate(answers):
        if len(a) != n:
            raise ValueError(f"task {task.id}: answer list {k} has {len(a)} grids for {n} test inputs")
    return [any(_same(a[i], task.test_outputs[i]) for a in answers) for i in range(n)]


def solved_at_2(hits: Sequence[bool]) -> bool:
    """ARC Prize's rule over per-test-input hits: the task counts only if every input was hit."""
    return bool(hits) and all(hits)


def pass_at_2(task: Task, answers: Sequence[Sequence[Any]]) -> bool:
    """Is the task solved under ARC Prize's rule by these (at most two) submissions?"""
    return solved_at_2(inputs_hit_at_2(task, answers))
