"""Run candidate programs on a task's train and test inputs (one executor batch) and score them."""
from __future__ import annotations

from typing import Sequence

from ..domain import Task
from ..executor import Executor, ProgramResult
from .scoring import ArcScore, score_outputs


def evaluate_programs(executor: Executor, task: Task, codes: Sequence[str]) -> list[tuple[ProgramResult, ArcScore]]:
    """For each program: its raw result (train inputs first, then test inputs) and its score.
    Test correctness is filled only when the task carries test outputs."""
    if task.kind != "arc":
        raise ValueError(f"task {task.id} is of kind {task.kind!r}, not 'arc'")
    inputs = [ex.input for ex in task.train] + list(task.test_inputs)
    results = executor.run_batch([(code, inputs) for code in codes])
    n = len(task.train)
    out = []
    for r in results:
        out.append((r, score_outputs(task, r.outputs[:n], r.outputs[n:])))
    return out
