"""The recognition model: from a task's grids, which primitives and compositions it needs.

Gradient-free, retrained whenever the library changes: k nearest neighbours over task features
(features.py) among the library's (task, program) pairs and their dreams (dreams.py). A
primitive's score is the similarity-weighted share of the neighbours whose program uses it; the
prediction turns scores into what the enumerative search takes per task — a primitive order, a
cost multiplier per primitive (predicted ones cheaper, the rest a little dearer, none priced out),
and the neighbours' programs themselves as compositions to try first (the search also re-infers
their settings on the new task). A task's own dreams are left out of its prediction: running
library programs on its inputs outside the search would be search budget nobody counted.

The nudge alone changes which of the cheap programs come first, not how deep the search gets. The
sharp steering reshapes it (DeepCoder's lever: a good prediction buys depth): the first step of a
program is what neighbours predict best, so the `first_k` primitives the neighbours' programs
start with get a large discount as a first step and every other first step a penalty — the
search spends its budget on depth-2 and depth-3 programs below the predicted first steps before
the long tail of unpredicted depth-1 programs. `sharp_k` does the same at every depth with the
primitives the neighbours use anywhere (only a short list fits depth 3 in a small budget).
`next_lo` adds conditional counts: after a step with primitive a, the primitives that follow a in
some neighbour's program (P(next | previous, task features) > 0 among the neighbours) are cheaper as
the next step; the others keep their cost, as the counts are too sparse to rule anything out.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..library_search.primitives import PRIMITIVES, Step
from .dreams import Example, program_key


@dataclass(frozen=True)
class RecognitionConfig:
    k: int = 16               # neighbours a prediction is made from
    programs: int = 6         # distinct neighbour programs proposed as compositions to try first
    lo: float = 0.55          # cost multiplier of the best-scored primitive ...
    hi: float = 1.15          # ... and of a primitive no neighbour uses
    softness: float = 0.05    # neighbour weight 1 / (softness + L1 distance)
    min_examples: int = 5     # fewer: the model predicts nothing (no evidence)
    first_k: int = 0          # first steps predicted (by how many neighbour programs start with them) ...
    first_lo: float = 1.0     # ... and their cost multiplier as a first step ...
    first_hi: float = 1.0     # ... and every other primitive's as a first step (0: no first-step steering)
    sharp_k: int = 0          # primitives predicted at every depth (by use anywhere), replacing lo/hi ...
    sharp_lo: float = 1.0     # ... their cost multiplier ...
    sharp_hi: float = 1.0     # ... and every other primitive's
    next_lo: float = 1.0      # cost multiplier of a step that follows the previous one in a neighbour's program

    def __post_init__(self) -> None:
        if self.k < 1 or self.programs < 0 or not 0 < self.lo <= 1 <= self.hi or self.softness <= 0 \
                or self.min_examples < 1:
            raise ValueError(f"invalid RecognitionConfig {self}: need k >= 1, programs >= 0, 0 < lo <= 1 <= hi, "
                             "softness > 0, min_examples >= 1")
        for name in ("first", "sharp"):
            k, lo, hi = (getattr(self, f"{name}_{x}") for x in ("k", "lo", "hi"))
            if k < 0 or not 0 < lo <= 1 <= hi:
                raise ValueError(f"invalid RecognitionConfig {self}: need {name}_k >= 0 and "
                                 f"0 < {name}_lo <= 1 <= {name}_hi")
        if not 0 < self.next_lo <= 1:
            raise ValueError(f"invalid RecognitionConfig {self}: need 0 < next_lo <= 1")


@dataclass
class Prediction:
    scores: dict[str, float] = field(default_factory=dict)    # primitive -> score in [0, 1]
    order: list[str] = field(default_factory=list)             # scored primitives, best first
    programs: list[list[Step]] = field(default_factory=list)   # neighbours' programs, nearest first
    prior: dict[str, float] = field(default_factory=dict)      # primitive -> cost multiplier
    first: dict[str, float] = field(default_factory=dict)      # primitive -> score as a program's first step
    step_prior: dict[str, dict[str, float]] = field(default_factory=dict)  # the search's conditional costs:
                                                                # previous primitive ("" first step) -> multipliers

    @property
    def empty(self) -> bool:
        return not self.order


class RecognitionModel:
    def __init__(self, config: RecognitionConfig | None = None):
        self.config = config or RecognitionConfig()
        self._x = np.zeros((0, 0))
        self._examples: list[Example] = []

    @property
    def n_examples(self) -> int:
        return len(self._examples)

    def fit(self, examples: Sequence[Example]) -> "RecognitionModel":
        self._examples = list(examples)
        self._x = np.stack([e.features for e in self._examples]) if self._examples else np.zeros((0, 0))
        return self

    def predict(self, features: np.ndarray, exclude_task: str | None = None) -> Prediction:
        """The prediction for one task's features; empty when the model knows too little."""
        cfg = self.config
        if self.n_examples < cfg.min_examples:
            return Prediction()
        keep = np.array([e.task_id != exclude_task for e in self._examples])
        idx = np.flatnonzero(keep)
        if idx.size == 0:
            return Prediction()
        d = np.abs(self._x[idx] - np.asarray(features)[None, :]).sum(1)
        near = idx[np.argsort(d, kind="stable")[: cfg.k]]
        w = 1.0 / (cfg.softness + np.sort(d, kind="stable")[: cfg.k])
        scores: dict[str, float] = {}
        first: dict[str, float] = {}
        follows: dict[str, set[str]] = {}
        programs: dict[str, list[Step]] = {}
        for j, wj in zip(near, w):
            ex = self._examples[j]
            for name in {n for n, _ in ex.steps}:
                scores[name] = scores.get(name, 0.0) + float(wj)
            if ex.steps:
                first[ex.steps[0][0]] = first.get(ex.steps[0][0], 0.0) + float(wj)
            for (a, _), (b, _) in zip(ex.steps, ex.steps[1:]):
                follows.setdefault(a, set()).add(b)
            programs.setdefault(program_key(ex.steps), [(n, dict(p)) for n, p in ex.steps])
        total = float(w.sum())
        scores = {n: s / total for n, s in scores.items() if n in PRIMITIVES}
        first = {n: s / total for n, s in first.items() if n in PRIMITIVES}
        order = sorted(scores, key=lambda n: (-scores[n], n))
        if cfg.sharp_k:
            prior = _sharp(scores, cfg.sharp_k, cfg.sharp_lo, cfg.sharp_hi)
        else:
            top = max(scores.values(), default=0.0) or 1.0
            prior = {n: cfg.hi - (cfg.hi - cfg.lo) * scores.get(n, 0.0) / top for n in PRIMITIVES}
        step_prior = {a: {b: cfg.next_lo for b in bs if b in PRIMITIVES} for a, bs in follows.items()} \
            if cfg.next_lo < 1 else {}
        if cfg.first_k:
            step_prior[""] = _sharp(first, cfg.first_k, cfg.first_lo, cfg.first_hi)
        return Prediction(scores=scores, order=order, programs=list(programs.values())[: cfg.programs], prior=prior,
                          first=first, step_prior=step_prior)


def _sharp(scores: dict[str, float], k: int, lo: float, hi: float) -> dict[str, float]:
    """Cost multipliers: `lo` for the `k` best-scored primitives (ties by name), `hi` for the rest."""
    top = set(sorted(scores, key=lambda n: (-scores[n], n))[:k])
    return {n: lo if n in top else hi for n in PRIMITIVES}
