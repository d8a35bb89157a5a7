"""Weighted majority vote over programs (SOAR §3.4).

Programs are grouped by their tuple of test outputs; a group's weight is sum(1 + 1000*h) over its
programs, h = train accuracy, so one fully-correct program outweighs up to 1000 wrong ones. Groups
holding a fully train-correct program come first, then the rest, each by weight (SOAR ranks by weight
alone): a few near misses
that agree (h = 2/3 weighs 667) would otherwise outvote a program right on every train pair, and
the loop proposes each program once per round, so a right answer is often found by one program.
The top two groups are the pass@2 submission.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .domain import Attempt


@dataclass
class VoteGroup:
    test_outputs: list[Any]
    weight: float
    attempt_ids: list[str]
    best_train_accuracy: float


def weighted_vote(attempts: list[Attempt], top: int = 2, weight_scale: float = 1000.0) -> list[VoteGroup]:
    groups: dict[str, VoteGroup] = {}
    for a in attempts:
        if a.error or not a.test_outputs or any(o is None for o in a.test_outputs):
            continue
        key = json.dumps(a.test_outputs, separators=(",", ":"))
        g = groups.get(key)
        if g is None:
            g = groups[key] = VoteGroup(list(a.test_outputs), 0.0, [], 0.0)
        g.weight += 1.0 + weight_scale * a.train_accuracy
        g.attempt_ids.append(a.id)
        g.best_train_accuracy = max(g.best_train_accuracy, a.train_accuracy)
    # ties: the group seen first wins (stable sort), which keeps the vote deterministic
    return sorted(groups.values(), key=lambda g: (g.best_train_accuracy < 1.0, -g.weight))[:top]
