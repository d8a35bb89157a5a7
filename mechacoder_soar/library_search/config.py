"""The library search's settings: the composition search's (`search.py`) and the learned prior's
(`prior.py`). In a module of their own so that the configs that embed them (the run's, the
proposer's, the curriculum's, the CLI's flag defaults) load without the engine (numpy, the DSL).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SearchConfig:
    max_depth: int = 3
    budget: int = 20_000               # max candidate programs evaluated (each run on all inputs): the
                                       # machine-independent limit
    time_limit_s: float = 20.0         # wall-time cap (a safety limit; the budget should end a search)
    max_params_per_step: int = 3       # inferred settings tried per (node, primitive)
    refit_learned: bool = True         # also try learned compositions with settings re-inferred
    max_learned_extended: int = 0      # learned compositions also extended by further steps: the
                                       # first this many that move the grids towards the outputs (off
                                       # by default: on unseen tasks the subtrees under another task's
                                       # program cost more budget than they find; a task's own near
                                       # misses get places of their own, see the library proposer)
    learned_cost: float = 0.6          # a learned composition costs as one preferred primitive ...
    learned_rank_step: float = 0.1     # ... plus this per place down the caller's ranking
    max_candidates: int = 10           # candidates returned
    shape_penalty: float = 0.5         # extra cost for a node whose shapes differ from the outputs
    preferred_discount: float = 0.6    # cost multiplier for primitives named in `order`
    colour_fix: bool = True            # try a learned colour map on nodes with the right shapes
    max_open_nodes: int = 50_000       # expandable nodes kept (bounds memory)
    stop_after_solutions: int = 2      # stop once this many distinct train-correct answers exist (0: never)
    max_open_bytes: int = 384 << 20    # grid bytes held by expandable nodes (bounds memory with big grids)
    max_cache_bytes: int = 128 << 20   # grid bytes in the per-search cache of step results
    processes: int = 1                 # >1: split one search's frontier over this many processes

    def __post_init__(self) -> None:
        if self.max_depth < 1:
            raise ValueError(f"SearchConfig.max_depth must be >= 1, got {self.max_depth}")
        if self.budget < 1:
            raise ValueError(f"SearchConfig.budget must be >= 1, got {self.budget}")
        if self.time_limit_s <= 0:
            raise ValueError(f"SearchConfig.time_limit_s must be > 0, got {self.time_limit_s}")
        if self.max_params_per_step < 1:
            raise ValueError(f"SearchConfig.max_params_per_step must be >= 1, got {self.max_params_per_step}")
        for name in ("max_open_nodes", "max_open_bytes", "max_cache_bytes", "processes"):
            if getattr(self, name) < 1:
                raise ValueError(f"SearchConfig.{name} must be >= 1, got {getattr(self, name)}")
        if self.learned_cost < 0 or self.learned_rank_step < 0:
            raise ValueError("SearchConfig.learned_cost and learned_rank_step must be >= 0, got "
                             f"{self.learned_cost} and {self.learned_rank_step}")


@dataclass(frozen=True)
class PriorConfig:
    smoothing: float = 1.0   # pseudo-count of tasks per primitive (Laplace)
    strength: float = 0.3    # exponent: multiplier = (observed / expected) ** -strength
    lo: float = 0.6          # bounds of the multiplier: what solutions use gets up to this much cheaper ...
    hi: float = 1.0          # ... and what they never use no dearer than its own cost (the library has
                             # seen some tasks; a new task may need exactly the primitive they did not)
    min_tasks: int = 5       # fewer solved tasks than this: no prior (too little evidence)

    def __post_init__(self) -> None:
        if self.smoothing <= 0 or self.strength < 0 or not 0 < self.lo <= 1 <= self.hi or self.min_tasks < 1:
            raise ValueError(f"invalid PriorConfig {self}: need smoothing > 0, strength >= 0, 0 < lo <= 1 <= hi, "
                             "min_tasks >= 1")
