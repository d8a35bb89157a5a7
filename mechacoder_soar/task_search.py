"""Search one task for one iteration: retrieve -> sample -> execute -> REX refine -> execute -> vote.

Pure engine code: it talks to the proposer, the environment and the library through their
protocols and journals attempts in the run directory. Nothing here reads hidden test outputs.
"""
from __future__ import annotations

import hashlib
import json
import time

import numpy as np

from skills_store.schema import code_hash, text_hash

from .context import RunContext
from .domain import Attempt, Task, attempt_id
from .environments.base import Evaluation
from .proposers.base import Proposal
from .results import TaskSummary
from .rex import RexState
from .vote import weighted_vote


def task_rng(seed: int, iteration: int, task_id: str) -> np.random.Generator:
    h = int(hashlib.sha256(f"{seed}:{iteration}:{task_id}".encode()).hexdigest()[:12], 16)
    return np.random.default_rng(h)


def _attempts_from(ctx: RunContext, task: Task, props: list[Proposal], evals: list[Evaluation], iteration: int,
                   mode: str, parent: Attempt | None, slot: int) -> list[Attempt]:
    out = []
    for j, (p, e) in enumerate(zip(props, evals)):
        aid = attempt_id(task.id, p.code, iteration, mode, parent.id if parent else None, salt=str(slot + j))
        out.append(Attempt(
            id=aid, task_id=task.id, code=p.code, mode=mode, parent_id=parent.id if parent else None,
            proposer=ctx.proposer.name, iteration=iteration, train_outputs=e.train_outputs,
            train_correct=e.train_correct, train_accuracy=e.train_accuracy, test_outputs=e.test_outputs,
            pixel_accuracy=e.pixel_accuracy, error=e.error, runtime_s=e.runtime_s,
            context_skill_ids=list(p.context_skill_ids), meta={**p.meta, **e.meta},
        ))
    return out


def call_seed(seed: int, iteration: int, task_id: str, mode: str, n_attempts: int) -> int:
    """The seed for one proposer call: fixed by the run's seed and how far the task has got, not
    by how many calls came before, so a resumed task asks for new programs instead of repeating
    the calls made before the interruption (whose programs are journalled already)."""
    return int(task_rng(seed, iteration, f"{task_id}#{mode}#{n_attempts}").integers(2**31))


UNPARSED_ERROR = "unparsed: the completion holds no usable program (nothing was executed)"


def evaluate_proposals(env, task: Task, props: list[Proposal]) -> list[Evaluation]:
    """Execute the parsed proposals (sandboxed, by the environment); an unparsed one gets an error
    evaluation without running anything: its text is not a program."""
    runnable = [p.code for p in props if not p.unparsed]
    evals = iter(env.evaluate(task, runnable) if runnable else [])
    return [Evaluation(train_outputs=[], train_correct=[], train_accuracy=0.0, test_outputs=[], error=UNPARSED_ERROR,
                       meta={"unparsed": True}) if p.unparsed else next(evals) for p in props]


def why_unsolved(env, task: Task, best: Attempt | None) -> str:
    """One line on why a task stayed unsolved: the best attempt's feedback, or that none was made."""
    if best is None:
        return "no attempt: the proposer had nothing to propose"
    first = next((ln for ln in env.feedback(task, best).splitlines() if ln.strip()), "")
    return f"best attempt {best.train_accuracy:.0%} of train/tests: {first[:200]}"


def _output_key(a: Attempt) -> str | None:
    """What an attempt produced, as one key; None for errors (nothing to compare)."""
    return None if a.error else json.dumps([a.train_outputs, a.test_outputs])


def _code_key(code: str, meta: dict) -> str:
    """What makes two programs the same one: the normalised code; for a program rendered from DSL
    steps (meta 'dsl'), its exact text. Rendering is deterministic, so normalising such a text
    (parsing and unparsing the source of every primitive it carries) would only cost time; a
    free-form text that happens to equal one is caught by its outputs (`_Seen.new_outputs`)."""
    if meta.get("dsl"):
        return "dsl:" + text_hash(code)
    return code_hash(code)


class _Seen:
    """Within one task and iteration: programs (`_code_key`) and output sets already journalled,
    so none is evaluated or journalled twice — a duplicate would spend budget, add a vote and
    credit the same skills twice."""

    def __init__(self, attempts: list[Attempt]):
        self.codes = {_code_key(a.code, a.meta) for a in attempts}
        self.outputs = {k for a in attempts if (k := _output_key(a)) is not None}

    def new_code(self, props: list[Proposal]) -> list[Proposal]:
        out = []
        for p in props:
            h = _code_key(p.code, p.meta)
            if h not in self.codes:
                self.codes.add(h)
                out.append(p)
        return out

    def new_outputs(self, attempts: list[Attempt]) -> list[Attempt]:
        out = []
        for a in attempts:
            k = _output_key(a)
            if k is None or k not in self.outputs:
                if k is not None:
                    self.outputs.add(k)
                out.append(a)
        return out


def _summary(task_id: str, iteration: int, attempts: list[Attempt], wall_s: float, failure: str | None) -> TaskSummary:
    """The task's search summary: counts, the best attempt and the vote over every attempt."""
    groups = weighted_vote(attempts)
    best = max(attempts, key=lambda a: a.train_accuracy, default=None)
    n_correct = sum(a.fully_correct for a in attempts)
    return TaskSummary(
        task_id=task_id, iteration=iteration, attempts=len(attempts), n_correct=n_correct, train_solved=n_correct > 0,
        best_train_accuracy=best.train_accuracy if best else 0.0, best_attempt_id=best.id if best else None,
        submissions=[g.test_outputs for g in groups], vote_weights=[g.weight for g in groups],
        vote_attempt_ids=[g.attempt_ids[:5] for g in groups], wall_s=round(wall_s, 3), failure=failure,
    )


def search_task(ctx: RunContext, task_id: str, iteration: int) -> TaskSummary:
    cfg = ctx.config
    task = ctx.tasks[task_id]
    assert task.test_outputs is None, "search only ever sees public tasks"
    env = ctx.env(task)
    rng = task_rng(cfg.seed, iteration, task_id)
    t0 = time.perf_counter()
    # Attempts already journalled for this task and iteration (a resumed run) count towards the budget.
    attempts: list[Attempt] = ctx.run_dir.attempts(iteration, task_id)
    query = env.describe(task)
    skills = [s.skill for s in ctx.library.retrieve_for_sampling(query, cfg.k_skills, kind=task.kind)]
    seen = _Seen(attempts)
    if hasattr(ctx.proposer, "start_task"):
        ctx.proposer.start_task(task_id)  # a new round: programs of earlier iterations may come again

    def n_correct() -> int:
        return sum(a.fully_correct for a in attempts)

    def record(props: list[Proposal], mode: str, parent: Attempt | None) -> None:
        # every completion is an attempt: an unparsed one is journalled even when its text repeats
        fresh = {id(p) for p in seen.new_code([p for p in props if not p.unparsed])}
        props = [p for p in props if p.unparsed or id(p) in fresh]
        if not props:
            return
        evals = evaluate_proposals(env, task, props)
        new = _attempts_from(ctx, task, props, evals, iteration, mode, parent, slot=len(attempts))
        attempts.extend(ctx.run_dir.journal(iteration, seen.new_outputs(new)))

    # -- sampling --------------------------------------------------------------------------
    done = sum(a.mode == "sample" for a in attempts)
    while done < cfg.budget_sample and n_correct() < cfg.early_stop_correct:
        n = min(cfg.sample_batch, cfg.budget_sample - done)
        props = ctx.proposer.sample(task, skills, n, seed=call_seed(cfg.seed, iteration, task_id, "sample", len(attempts)))[:n]
        if not props:
            break
        record(props, "sample", None)
        done += len(props)

    # -- refinement, parents chosen by REX ---------------------------------------------------
    rex = RexState(c=cfg.rex_c)
    for a in attempts:
        if a.mode == "refine" and a.parent_id:
            rex.refined[a.parent_id] = rex.refined.get(a.parent_id, 0) + 1
    refined = sum(a.mode == "refine" for a in attempts)
    while refined < cfg.budget_refine and n_correct() < cfg.early_stop_correct:
        pool = [(a.id, a.train_accuracy) for a in attempts if not a.fully_correct]
        pid = rex.choose(pool, rng)
        if pid is None:
            break
        parent = next(a for a in attempts if a.id == pid)
        rquery = env.feedback(task, parent)
        rskills = [s.skill for s in ctx.library.retrieve_for_refinement(query, rquery, cfg.k_skills, kind=task.kind)]
        props = ctx.proposer.refine(task, parent, rskills, 1,
                                    seed=call_seed(cfg.seed, iteration, task_id, "refine", len(attempts)))[:1]
        refined += 1  # a proposer that returns nothing still spends the slot: the budget is a bound
        for p in props:
            # the parent's own context skills share in the refinement's outcome (refine EMA)
            p.context_skill_ids = list(dict.fromkeys(p.context_skill_ids + parent.context_skill_ids))
        record(props, "refine", parent)

    best = max(attempts, key=lambda a: a.train_accuracy, default=None)
    failure = None if any(a.fully_correct for a in attempts) else why_unsolved(env, task, best)
    return _summary(task_id, iteration, attempts, time.perf_counter() - t0, failure)
