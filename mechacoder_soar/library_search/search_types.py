"""What the composition search takes and returns: its one config (`config.py`, re-exported here)
and its candidates.

Shared by the engine (`search.py`) and the reference engine (`reference.py`) so that results of
the two compare directly.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .config import SearchConfig
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
