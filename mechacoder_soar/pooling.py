"""Pooling solutions across iterations and across proposers, and the oracle gap.

SOAR pools the programs of several models/iterations per task and runs one weighted vote over the
pool (45% -> 52% on ARC-AGI-1 eval). Here the pool is any list of scored `Attempt`s (read back
from one or more run directories' attempts.jsonl), so this runs after the loop, never inside it.

Scores use each attempt's `test_correct` (written by the scorer): a vote group's programs share
their test outputs, so any member's correctness is the group's. Per task, each 1 or 0 under ARC
Prize's rule (a task counts only when every test output is right; `arc.scoring.solved_at_2`):
  vote     = every test input hit by one of the top-2 vote groups (pass@2);
  oracle   = every test input right in some program of the pool (best possible selection);
  gap      = oracle - vote: what a perfect selector would add over the vote.
Tasks whose attempts carry no test correctness (no hidden answers) are left out and counted.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Iterable

from .arc.scoring import solved_at_2
from .domain import Attempt
from .vote import weighted_vote


@dataclass
class PoolScore:
    tasks: int                  # tasks scored (with test correctness)
    unscored: int               # tasks without hidden answers
    vote_pass_at_2: float | None
    oracle: float | None
    attempts: int

    @property
    def gap(self) -> float | None:
        if self.vote_pass_at_2 is None or self.oracle is None:
            return None
        return self.oracle - self.vote_pass_at_2

    def to_dict(self) -> dict:
        return {**asdict(self), "gap": self.gap}


def task_scores(attempts: list[Attempt]) -> tuple[float, float] | None:
    """(vote pass@2, oracle) for ONE task's attempts, or None when none carries test correctness."""
    scored = [a for a in attempts if a.test_correct is not None]
    if not scored:
        return None
    n = max(len(a.test_correct or []) for a in scored)
    if n == 0:
        return 0.0, 0.0
    by_id = {a.id: a for a in scored}
    hit = [False] * n
    for g in weighted_vote(scored, top=2):
        tc = next((by_id[i].test_correct for i in g.attempt_ids if i in by_id), None) or []
        for i, ok in enumerate(tc[:n]):
            hit[i] = hit[i] or bool(ok)
    oracle = [any(i < len(a.test_correct or []) and a.test_correct[i] and not a.error for a in scored) for i in range(n)]
    return float(solved_at_2(hit)), float(solved_at_2(oracle))


def score_pool(attempts: Iterable[Attempt]) -> PoolScore:
    by_task: dict[str, list[Attempt]] = defaultdict(list)
    n_att = 0
    for a in attempts:
        by_task[a.task_id].append(a)
        n_att += 1
    votes, oracles, unscored = [], [], 0
    for atts in by_task.values():
        s = task_scores(atts)
        if s is None:
            unscored += 1
            continue
        votes.append(s[0])
        oracles.append(s[1])
    mean = (lambda xs: sum(xs) / len(xs) if xs else None)
    return PoolScore(tasks=len(votes), unscored=unscored, vote_pass_at_2=mean(votes), oracle=mean(oracles), attempts=n_att)


def pool_by_iteration(attempts: list[Attempt]) -> list[dict]:
    """Per iteration K: the vote over K's attempts alone ("single") and over every attempt of
    iterations <= K ("pooled"), with the pooled oracle and gap."""
    its = sorted({a.iteration for a in attempts})
    rows = []
    for k in its:
        single = score_pool(a for a in attempts if a.iteration == k)
        pooled = score_pool(a for a in attempts if a.iteration <= k)
        rows.append({"iteration": k, "single": single.to_dict(), "pooled": pooled.to_dict()})
    return rows


def pool_by_proposer(attempts: list[Attempt]) -> dict:
    """Each proposer's own vote, and the vote over all proposers' programs together."""
    names = sorted({a.proposer or "?" for a in attempts})
    per = {n: score_pool(a for a in attempts if (a.proposer or "?") == n).to_dict() for n in names}
    return {"per_proposer": per, "all": score_pool(attempts).to_dict()}


def pooling_summary(attempts: list[Attempt]) -> dict:
    return {"by_iteration": pool_by_iteration(attempts), "by_proposer": pool_by_proposer(attempts)}
