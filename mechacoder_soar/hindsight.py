"""Hindsight relabelling: a wrong program is a right program for the task "map these inputs to
the outputs it actually produced" (SOAR §3.3).

`relabel_arc` returns None for degenerate programs, with SOAR's filter: errors, non-grids,
grids over 30x30 or with values outside 0-9, identity on every input, the same output for every
input, outputs hard-coded in the source, lines over 200 characters.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from skills_store.schema import SkillIn

from .describe import describe_arc, describe_behaviour
from .domain import Attempt, Example, Task

MAX_SIDE = 30
MAX_LINE = 200
TASK_JSON = "task_json"  # Skill.meta key: the public task the skill's program solves (what distillation trains on)


def task_json(task: Task) -> str:
    """What a writer puts in Skill.meta['task_json'] (the public task; test outputs dropped)."""
    return json.dumps(task.public().model_dump(mode="json"), separators=(",", ":"))


def text_task(text: str, kind: str, observations: list[tuple[Any, Any]] = ()) -> Task:
    """The task behind an agent's attempt (MCP/REST), which arrives as plain text: the id is a
    digest of the text, so every attempt at the same task text is the same task. Observations
    of a passing attempt are correct examples; a kind outside the loop's is generic code."""
    tkind = kind if kind in ("arc", "terminal", "code") else "code"
    return Task(id="agent:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16], kind=tkind, instruction=text,
                train=[Example(input=i, output=o) for i, o in observations])


@dataclass
class Relabelled:
    task: Task          # the synthetic task: inputs of the original, outputs of the program
    skill: SkillIn      # the program as a hindsight skill solving it
    reason: str = "ok"


def is_grid(g: Any) -> bool:
    if not isinstance(g, list) or not g or not all(isinstance(r, list) and r for r in g):
        return False
    w = len(g[0])
    if len(g) > MAX_SIDE or w > MAX_SIDE or any(len(r) != w for r in g):
        return False
    return all(type(v) is int and 0 <= v <= 9 for r in g for v in r)


def output_signature(outputs: list[Any]) -> str:
    return hashlib.sha256(json.dumps(outputs, separators=(",", ":")).encode()).hexdigest()[:32]


def _hardcoded(code: str, grid: list[list[int]]) -> bool:
    """True when the output grid appears literally in the source (a lookup table, not a program).
    Single-row or tiny outputs are too likely to match by accident to count."""
    if len(grid) * len(grid[0]) < 4:
        return False
    compact = "".join(code.split())
    return json.dumps(grid, separators=(",", ":")) in compact or str(grid).replace(" ", "") in compact


def degenerate_reason(task: Task, attempt: Attempt) -> str | None:
    if attempt.error:
        return "error"
    outs = list(attempt.train_outputs) + list(attempt.test_outputs)
    ins = [ex.input for ex in task.train] + list(task.test_inputs)
    if len(outs) != len(ins) or not outs:
        return "missing outputs"
    if not all(is_grid(o) for o in outs):
        return "not a valid grid (rectangular, <=30x30, values 0-9)"
    if all(o == i for o, i in zip(outs, ins)):
        return "identity on every input"
    if len(outs) > 1 and all(o == outs[0] for o in outs):
        return "constant output"
    if any(len(line) > MAX_LINE for line in attempt.code.splitlines()):
        return f"line longer than {MAX_LINE} characters"
    if any(_hardcoded(attempt.code, o) for o in outs):
        return "output hard-coded in the source"
    return None


def relabel_arc(task: Task, attempt: Attempt, *, iteration: int = 0) -> Relabelled | None:
    if degenerate_reason(task, attempt):
        return None
    n = len(task.train)
    train = [Example(input=ex.input, output=o) for ex, o in zip(task.train, attempt.train_outputs)]
    test_out = list(attempt.test_outputs)
    synth = Task(
        id=f"hindsight:{task.id}:{attempt.id}", kind="arc", train=train,
        test_inputs=list(task.test_inputs), test_outputs=test_out,
        meta={"origin_task": task.id, "origin_attempt": attempt.id},
    )
    desc = describe_arc([(e.input, e.output) for e in train], task.test_inputs)
    skill = SkillIn(
        code=attempt.code, description=desc, kind="arc", source="hindsight", signature="transform(grid) -> grid",
        origin_task_id=task.id, origin_attempt_id=attempt.id, iteration=iteration,
        output_signature=output_signature(list(attempt.train_outputs)[:n] + test_out),
        meta={"train_accuracy_on_origin": attempt.train_accuracy, TASK_JSON: task_json(synth)},
    )
    return Relabelled(synth, skill)


def relabel_behaviour(task: Task, code: str, observations: list[tuple[Any, Any]], *, kind: str = "code",
                      attempt_id: str | None = None, iteration: int = 0) -> Relabelled | None:
    """Generic attempts (agents' code, terminal scripts): the synthetic task is 'produce what was
    observed'. Returns None when nothing was observed."""
    if not observations:
        return None
    desc = describe_behaviour(observations, task.instruction)
    synth = Task(id=f"hindsight:{task.id}:{attempt_id or output_signature([code])[:8]}", kind=task.kind,
                 instruction=desc, train=[Example(input=i, output=o) for i, o in observations])
    skill = SkillIn(
        code=code, description=desc, kind=kind, source="hindsight", origin_task_id=task.id,
        origin_attempt_id=attempt_id, iteration=iteration,
        output_signature=output_signature([[repr(i), repr(o)] for i, o in observations]),
        meta={TASK_JSON: task_json(synth)},
    )
    return Relabelled(synth, skill)
