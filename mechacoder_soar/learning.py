"""Learn from one iteration's attempts (SOAR's learning phase, into the library instead of weights).

Per task:
  1. every attempt's outcome moves the EMAs of the skills shown to it (sampling EMA for samples,
     refinement EMA for refinements and their parents' context) — idempotent per attempt id;
  2. train-correct programs become `solved` skills (shortest first, members of the top vote group
     first: the vote is the pseudo-label, so this needs no test outputs);
  3. greedy-diverse selection over the rest, and an unsolved task's closest misses (its stepping
     stones for the next iteration, task_memory.py), relabelled by hindsight, become `hindsight`
     skills that record how close they came;
  4. refinements that improved on their parent become skills described by the parent's failure,
     balanced over parent-accuracy bins, so `retrieve_for_refinement` finds fixes for similar failures.
Nothing here reads hidden test outputs (scoring.py does, after learning).
"""
from __future__ import annotations

from typing import Any

from skills_store.schema import SkillIn

from .context import RunContext
from .domain import Attempt, Task
from .hindsight import TASK_JSON, task_json
from .results import LearnSummary, TaskSummary
from .selection import accuracy_bin, balance_bins, greedy_diverse
from .task_memory import NEAR_MISS_TAG, closeness_meta, near_misses


def _scalar_meta(meta: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in meta.items() if isinstance(v, (str, int, float, bool))}


def _parent_json(parent: Attempt) -> str:
    """The parent of a refinement as distillation's refine prompt needs it (its feedback), without
    the raw LLM completion it came from."""
    return parent.model_copy(update={"meta": {k: v for k, v in parent.meta.items() if k != "completion"}}).model_dump_json()


def learn_task(ctx: RunContext, task: Task, attempts: list[Attempt], summary: TaskSummary, iteration: int) -> list[SkillIn]:
    cfg = ctx.config
    env = ctx.env(task)
    lib = ctx.library
    desc = env.describe(task)
    top_group = set(summary.get("vote_attempt_ids", [[]])[0]) if summary.get("vote_attempt_ids") else set()
    skills: list[SkillIn] = []
    tjson = task_json(task)  # every solved/refinement skill carries its task: distillation's prompt

    correct = sorted((a for a in attempts if a.fully_correct),
                     key=lambda a: (a.id not in top_group, len(a.code), a.id))
    for a in correct[: cfg.solved_per_task]:
        skills.append(SkillIn(
            code=a.code, description=desc, kind=task.kind, source="solved", origin_task_id=task.id,
            origin_attempt_id=a.id, iteration=iteration, meta={**_scalar_meta(a.meta), TASK_JSON: tjson},
        ))

    valid = [a for a in attempts if not a.fully_correct and not a.error]
    picked = greedy_diverse(
        valid, lambda a: a.train_accuracy, lambda a: len(a.code),
        lambda a: repr(a.train_outputs + a.test_outputs), cfg.hindsight_best, cfg.hindsight_diverse,
    )
    # the closest misses of an unsolved task, which train accuracy alone (0 for most) does not
    # rank: the next iteration's search on this task extends them (task_memory.py)
    near = {a.id for a in near_misses(attempts, cfg.stones_per_task)}
    have = {a.id for a in picked}
    picked += [a for a in valid if a.id in near and a.id not in have]
    for a in picked:
        r = env.relabel(task, a, iteration)
        if r is not None:
            r.skill.meta.update({k: v for k, v in _scalar_meta(a.meta).items() if k != TASK_JSON})
            r.skill.meta.update(closeness_meta(a))
            if a.id in near:
                r.skill.tags.append(NEAR_MISS_TAG)
            skills.append(r.skill)

    by_id = {a.id: a for a in attempts}
    improved = [a for a in attempts if a.mode == "refine" and a.parent_id in by_id
                and a.train_accuracy > by_id[a.parent_id].train_accuracy]
    improved.sort(key=lambda a: -a.train_accuracy)
    for a in balance_bins(improved, lambda a: accuracy_bin(by_id[a.parent_id].train_accuracy), cfg.refine_pairs_per_bin):
        parent = by_id[a.parent_id]
        skills.append(SkillIn(
            code=a.code, kind=task.kind, source="solved" if a.fully_correct else "hindsight",
            description=f"{desc}\nFix for: {env.feedback(task, parent)}",
            origin_task_id=task.id, origin_attempt_id=a.id, iteration=iteration,
            tags=["refinement", accuracy_bin(parent.train_accuracy)],
            # only a full fix teaches distillation (task + failing parent -> program that solves it)
            meta={**_scalar_meta(a.meta), **closeness_meta(a), "parent_accuracy": parent.train_accuracy,
                  **({TASK_JSON: tjson, "parent_attempt_json": _parent_json(parent)} if a.fully_correct else {})},
        ))
    _record_attempts(lib, task, attempts, {s.origin_attempt_id for s in skills if s.source == "solved"}, tjson)
    return skills


def _record_attempts(lib, task: Task, attempts: list[Attempt], solved_ids: set[str], tjson: str) -> None:
    """Fold every attempt's outcome into the EMAs of the skills shown to it (idempotent per id).
    An attempt that became a solved skill keeps its program and task in the ledger too: when the
    skill duplicates one already stored (e.g. a seed primitive), the store keeps the older record,
    and distillation rebuilds the (task -> program) row from here."""
    for a in attempts:
        rec = {"task_id": a.task_id, "iteration": a.iteration, "mode": a.mode, "proposer": a.proposer,
               "train_accuracy": a.train_accuracy}
        if a.id in solved_ids:
            rec.update(id=a.id, code=a.code, passed=True, kind=task.kind, task_json=tjson)
        lib.record_attempt(a.id, rec, a.context_skill_ids, a.mode, a.train_accuracy)  # partial credit


def learn_iteration(ctx: RunContext, iteration: int, summaries: list[TaskSummary]) -> LearnSummary:
    before = ctx.library.stats()["skills"]
    if not ctx.config.learn:
        st = ctx.library.stats()
        return {"iteration": iteration, "new_skills": 0, "duplicates": 0, "library_size": st["skills"],
                "library_before": before, "by_source": st["by_source"]}
    batch: list[SkillIn] = []
    for s in summaries:
        task = ctx.tasks[s["task_id"]]
        batch.extend(learn_task(ctx, task, ctx.run_dir.attempts(iteration, task.id), s, iteration))
    res = ctx.library.add(batch, iteration_event={"run_iteration": iteration})
    after = ctx.library.stats()
    return {"iteration": iteration, "new_skills": len(res.added), "duplicates": len(res.duplicates),
            "library_size": after["skills"], "library_before": before, "by_source": after["by_source"]}
