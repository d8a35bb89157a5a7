"""Dreams: more (task, program) pairs from the library, as in DreamCoder's sleep phase.

Every library program (a DSL step list kept in a skill's meta['dsl']) run on the train inputs of a
real task makes a task the program solves by construction: (inputs, program(inputs)). Run on its
own origin task's inputs it gives back that task (a solved skill) or its hindsight relabelling; run
on other tasks' inputs it shows what the same program does to other grids, which is what lets the
recognition model generalise past the tasks it was learned on. Steps are our own primitives
(library_search/dsl), so they run in-process, never untrusted code.

A program is dreamed on its origin task and on a fixed number of other tasks chosen by a hash of
(program, task), so the choice does not depend on the order skills come back from the store; and
dreams are cached by (program, task), so retraining after the library grew only runs new programs.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..library_search.primitives import Step, apply_step, to_array
from .features import task_features


@dataclass(frozen=True)
class DreamConfig:
    tasks_per_program: int = 6   # other tasks' inputs each program is dreamed on (besides its origin)
    max_inputs: int = 4          # train inputs per dream (more pairs: steadier features, slower)

    def __post_init__(self) -> None:
        if self.tasks_per_program < 0 or self.max_inputs < 1:
            raise ValueError(f"invalid DreamConfig {self}: need tasks_per_program >= 0 and max_inputs >= 1")


@dataclass(frozen=True)
class Example:
    """One (task, program) pair: the task as features, the program that solves it, and whose
    inputs it was made from (so a prediction for that task can leave it out)."""
    features: np.ndarray
    steps: tuple[Step, ...]
    task_id: str
    origin: bool   # made on the program's own origin task's inputs


MapFn = Callable[[Callable, Iterable], Iterator]


def program_key(steps: Sequence[Step]) -> str:
    return json.dumps([[n, p] for n, p in steps], sort_keys=True)


def dream_pairs(steps: Sequence[Step], inputs: Sequence[Any]) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """(input, program(input)) per input; None when the program fails on one, or the dream is no
    task: it leaves every input as it is, or maps every input to the same grid."""
    pairs = []
    for g in inputs:
        a = b = to_array(g)
        for step in steps:
            b = apply_step(step, b)
            if b is None:
                return None
        pairs.append((a, b))
    if all(a.shape == b.shape and np.array_equal(a, b) for a, b in pairs):
        return None
    if len(pairs) > 1 and all(b.shape == pairs[0][1].shape and np.array_equal(b, pairs[0][1]) for _, b in pairs):
        return None
    return pairs


def dream_features(job: tuple[Sequence[Step], Sequence[Any]]) -> np.ndarray | None:
    """The features of the task program `job[0]` dreams on inputs `job[1]` (None: no task, see
    `dream_pairs`). One argument, module-level: a process pool's `map` can run it."""
    steps, inputs = job
    pairs = dream_pairs(steps, inputs)
    return None if pairs is None else task_features(pairs)


def _rank(key: str, task_id: str) -> str:
    return hashlib.sha256(f"{key}|{task_id}".encode()).hexdigest()


class Dreamer:
    """Makes and caches the examples the recognition model learns from."""

    def __init__(self, config: DreamConfig | None = None):
        self.config = config or DreamConfig()
        self._cache: dict[tuple[str, str], np.ndarray | None] = {}

    def examples(self, programs: Mapping[str, tuple[Sequence[Step], str | None]],
                 inputs: Mapping[str, Sequence[Any]], map_fn: MapFn = map) -> list[Example]:
        """`programs`: key -> (steps, origin task id or None); `inputs`: task id -> train inputs.
        One example per (program, task) dream that is a task (see `dream_pairs`). `map_fn` runs
        the dreams not cached yet (`map`, or a process pool's, which keeps the order)."""
        task_ids = sorted(inputs)
        plan = []
        for key in sorted(programs):
            steps, origin = programs[key]
            others = sorted((t for t in task_ids if t != origin), key=lambda t: _rank(key, t))
            chosen = ([origin] if origin in inputs else []) + others[: self.config.tasks_per_program]
            plan.append((key, steps, origin, chosen))
        todo = [(key, t) for key, _, _, chosen in plan for t in chosen if (key, t) not in self._cache]
        jobs = [(programs[key][0], inputs[t][: self.config.max_inputs]) for key, t in todo]
        self._cache.update(zip(todo, map_fn(dream_features, jobs)))
        out = []
        for key, steps, origin, chosen in plan:
            for t in chosen:
                f = self._cache[(key, t)]
                if f is not None:
                    out.append(Example(features=f, steps=tuple((n, dict(p)) for n, p in steps), task_id=t,
                                       origin=t == origin))
        return out
