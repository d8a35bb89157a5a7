"""Score one iteration: the only place hidden test outputs are read (through the Oracle).

`score_iteration` returns the iteration's row for metrics.json and writes the run directory's
results (attempts.jsonl with test correctness, metrics.json); it leaves the search summaries it is
given untouched (they are graph state).

test_pass_at_2 is the fraction of tasks solved under ARC Prize's rule (every test output right
within the two submissions); test_inputs_hit_at_2, the mean per-task fraction of test inputs hit,
is kept as partial credit under its own name.
"""
from __future__ import annotations

import logging

from .arc.scoring import solved_at_2
from .context import RunContext
from .diversity import DiversityConfig, program_diversity
from .domain import Attempt
from .results import IterationRow, LearnSummary, TaskScore, TaskSummary

log = logging.getLogger(__name__)


def _mean(xs: list[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def score_task(ctx: RunContext, iteration: int, s: TaskSummary) -> tuple[TaskScore, list[Attempt]]:
    """A task's score line and its attempts, each marked test-correct where the task has answers."""
    has = ctx.oracle.has_answers(s["task_id"])
    attempts = []
    for a in ctx.run_dir.attempts(iteration, s["task_id"]):
        if has and not a.error:
            a = a.model_copy(update={"test_correct": ctx.oracle.test_correct(a.task_id, a.test_outputs)})
        attempts.append(a)
    hits = ctx.oracle.inputs_hit_at_2(s["task_id"], s["submissions"]) if has else None
    score = TaskScore(task_id=s["task_id"], attempts=s["attempts"], n_correct=s["n_correct"],
                      train_solved=s["train_solved"], best_train_accuracy=s["best_train_accuracy"],
                      test_pass_at_2=None if hits is None else float(solved_at_2(hits)),
                      best_attempt_id=s["best_attempt_id"],
                      test_inputs_hit_at_2=None if not hits else sum(hits) / len(hits), failure=s.get("failure"))
    return score, attempts


def score_iteration(ctx: RunContext, iteration: int, summaries: list[TaskSummary], learned: LearnSummary | dict,
                    wall_s: float) -> IterationRow:
    all_attempts: list[Attempt] = []
    per_task: list[TaskScore] = []
    for s in summaries:
        score, attempts = score_task(ctx, iteration, s)
        per_task.append(score)
        all_attempts += attempts
    ctx.run_dir.finalize(all_attempts)
    div = program_diversity(all_attempts)
    collapsed = bool(all_attempts) and div["distinct_ratio"] < DiversityConfig().floor
    if collapsed:
        log.warning(f"program diversity collapsed in iteration {iteration}: "
                    f"{div['distinct_ratio']:.2f} distinct outputs per valid attempt")
    row = IterationRow(
        iteration=iteration, tasks=len(summaries), attempts=len(all_attempts),
        unparsed=sum(1 for a in all_attempts if a.meta.get("unparsed")),
        train_solved=sum(1 for s in summaries if s["train_solved"]),
        test_pass_at_2=_mean([t["test_pass_at_2"] for t in per_task if t["test_pass_at_2"] is not None]),
        test_inputs_hit_at_2=_mean([t["test_inputs_hit_at_2"] for t in per_task if t["test_inputs_hit_at_2"] is not None]),
        new_skills=learned.get("new_skills", 0), library_size=learned.get("library_size", 0),
        by_source=learned.get("by_source", {}), wall_s=round(wall_s, 2),
        diversity=div, diversity_collapsed=collapsed, per_task=per_task,
    )
    ctx.run_dir.write_iteration_metrics(row)
    return row
