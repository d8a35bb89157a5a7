"""What earlier iterations reached on each task, kept in the library and read back as that
task's stepping stones: REX's "step from the near miss", applied across iterations.

A search at a fixed budget reaches a fixed frontier: run again on the same task, it evaluates
(nearly) the same programs and stops where it stopped before, so re-searching a target task
learns nothing. Here the learn step keeps, for each task that stayed unsolved, its closest misses
(most train pairs right, then most pixels right) as hindsight skills that record how close they
came; and the next search on that task starts from them. They lead its learned compositions:
each is tried first and, when it moves the grids towards the outputs, becomes a depth-1 node that
the search extends by further steps. A program found at iteration k is thus the root of longer
programs at iteration k+1 that a search from the bare grid does not reach at that budget, and
the chain grows with every iteration.

Everything is read from the library (origin task, step list, closeness), so a resumed run, a
Ray worker's snapshot and a later `soar adapt` on the same tasks see the same stones.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from skills_store.schema import Skill

from .domain import Attempt

ORIGIN_ACCURACY = "train_accuracy_on_origin"   # Skill.meta: share of the origin task's train pairs it got right
ORIGIN_PIXELS = "pixel_accuracy_on_origin"     # Skill.meta: share of the origin task's train pixels it got right
NEAR_MISS_TAG = "near_miss"


def closeness(a: Attempt) -> tuple[float, float]:
    """How close an attempt came: train pairs right, then pixels right."""
    return a.train_accuracy, a.pixel_accuracy or 0.0


def near_misses(attempts: Sequence[Attempt], n: int) -> list[Attempt]:
    """The `n` closest attempts of a task that no attempt solved, closest first (shorter code
    first on ties): error-free programs of the library search (a step list to extend), one per
    distinct output set. Empty when some attempt is train-correct: a solved task needs no stone."""
    if n <= 0 or any(a.fully_correct for a in attempts):
        return []
    ranked = sorted((a for a in attempts if not a.error and a.meta.get("dsl")),
                    key=lambda a: (-closeness(a)[0], -closeness(a)[1], len(a.code), a.id))
    out, seen = [], set()
    for a in ranked:
        key = json.dumps([a.train_outputs, a.test_outputs])
        if key not in seen and len(out) < n:
            seen.add(key)
            out.append(a)
    return out


def closeness_meta(a: Attempt) -> dict[str, float]:
    """What a skill learned from attempt `a` records of how close it came on its origin task."""
    out = {ORIGIN_ACCURACY: float(a.train_accuracy)}
    if a.pixel_accuracy is not None:
        out[ORIGIN_PIXELS] = float(a.pixel_accuracy)
    return out


@dataclass(frozen=True)
class Stone:
    steps: list          # the program's step list, as the search's `extra_programs` take it
    skill_id: str        # the skill it is stored as (EMA credit for what is built on it)
    rank: tuple          # sort key: closest first


def _stone(s: Skill, steps: list) -> Stone | None:
    if s.source != "hindsight" or ORIGIN_PIXELS not in s.meta:
        return None   # a relabelling that recorded no closeness: no evidence it is near
    acc, pix = float(s.meta.get(ORIGIN_ACCURACY, 0.0)), float(s.meta[ORIGIN_PIXELS])
    return Stone(steps, s.id, (-acc, -pix, len(steps), s.id))


def stones_by_task(skills: Iterable[tuple[Skill, list]]) -> dict[str, list[Stone]]:
    """Each unsolved task's near misses in the library, closest first. A task the library holds
    a solution of has none: its search runs as any search does (leading it with the old
    solution would stop it at the first two train-correct answers, before it finds the others
    the vote needs when the old one is wrong on test). `skills`: (skill, its step list) for
    ARC skills with one."""
    out: dict[str, list[Stone]] = {}
    solved: set[str] = set()
    for s, steps in skills:
        if not s.origin_task_id:
            continue
        if s.source == "solved":
            solved.add(s.origin_task_id)
        elif (st := _stone(s, steps)) is not None:
            out.setdefault(s.origin_task_id, []).append(st)
    for stones in out.values():
        stones.sort(key=lambda st: st.rank)
    return {t: stones for t, stones in out.items() if t not in solved}
