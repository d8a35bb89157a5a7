"""The learned prior over primitives: what solved programs are made of makes those steps cheaper.

DreamCoder re-estimates its grammar's production probabilities from the programs it found; the
gradient-free equivalent here is a cost multiplier per primitive for the enumerative search. A
primitive that solutions of many different tasks use is tried earlier at every depth; one no
solution used keeps its cost under the default bounds (`PriorConfig.hi` 1.0: the learned tasks are
not the new ones, and a new task may need exactly what they did not), or is tried later with
hi > 1. With a budget of a few thousand programs the search sees only part of depth 2 (61
primitives, ~120 settings at depth 1, ~14,000 pairs), so this order decides which part — and it is
learned from the training tasks, then carries over to unseen ones.

Counts are per task (a task solved by five near-identical programs is one vote), smoothed towards
the uniform usage, and the multiplier is clipped so no primitive is ever priced out of the search.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from .config import PriorConfig
from .primitives import PRIMITIVES, Step


def primitive_prior(solutions: Mapping[str, Iterable[Sequence[Step]]],
                    config: PriorConfig | None = None) -> dict[str, float]:
    """Cost multiplier per primitive from `solutions` (task id -> the programs that solved it).
    Empty when fewer than `min_tasks` tasks have solutions."""
    cfg = config or PriorConfig()
    used: dict[str, int] = dict.fromkeys(PRIMITIVES, 0)
    n_tasks = 0
    for programs in solutions.values():
        names = {name for prog in programs for name, _ in prog if name in used}
        if names:
            n_tasks += 1
            for n in names:
                used[n] += 1
    if n_tasks < cfg.min_tasks:
        return {}
    expected = sum(used.values()) / len(used) + cfg.smoothing
    return {n: min(cfg.hi, max(cfg.lo, ((c + cfg.smoothing) / expected) ** -cfg.strength)) for n, c in used.items()}
