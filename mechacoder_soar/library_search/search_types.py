"""What the composition search takes and returns: its one config and its candidates.

Shared by the engine (`search.py`) and the reference engine (`reference.py`) so that results of
the two compare directly.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .primitives import Grid, Step, render_program
from .registry import CATEGORIES

COLOUR_FIX = "colour_map"

# which categories to try first when refining a parent with a given error pattern
PATTERN_CATEGORIES: dict[str, tuple[str, ...]] = {
    "wrong_shape": ("geometry", "objects", "partition", "symmetry"),
    "right_shape_wrong_colours": ("colour", "objects", "denoise"),
    "few_pixels_off": ("rules", "denoise", "drawing", "symmetry", "colour", "objects"),
    "right_shape_wrong_content": ("drawing", "objects", "rules", "gravity", "symmetry", "colour", "denoise"),
    "error": CATEGORIES,
    "correct": (),
}


@dataclass
class SearchConfig:
    max_depth: int = 3
    budget: int = 5000                 # max candidate programs evaluated (each run on all inputs)
    time_limit_s: float = 30.0
    max_params_per_step: int = 3       # inferred settings tried per (node, primitive)
    refit_learned: bool = True         # also try learned compositions with settings re-inferred
    max_learned_extended: int = 4      # learned compositions also extended by further steps: the
                                       # first this many that move the grids towards the outputs
    learned_cost: float = 0.6          # a learned composition costs as one preferred primitive ...
    learned_rank_step: float = 0.05    # ... plus this per place down the caller's ranking
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


@dataclass
class Candidate:
    steps: list[Step]
    train_correct: list[bool]
    train_accuracy: float
    pixel_score: float
    test_outputs: list[Grid]
    train_outputs: list[Grid] = field(default_factory=list)
    cost: float = 0.0
    found_at: int = 0   # evaluations spent when it was found: what it cost the search to get here

    @property
    def fully_correct(self) -> bool:
        return bool(self.train_correct) and all(self.train_correct)

    @property
    def code(self) -> str:
        """The candidate as one standalone `transform` module (see `render_program`)."""
        return render_program(self.steps)


@dataclass
class SearchResult:
    candidates: list[Candidate]
    n_evaluated: int
    elapsed_s: float
    exhausted: str = ""   # "budget", "time", "solved" (enough solutions) or "" (space exhausted)

    @property
    def solved(self) -> bool:
        return bool(self.candidates) and self.candidates[0].fully_correct

    @property
    def first_solution_at(self) -> int | None:
        """Evaluations it took to find the first train-correct program (None: none found)."""
        return min((c.found_at for c in self.candidates if c.fully_correct), default=None)
