"""Synthetic tasks built from known programs: random sparse grids and what a program makes of them."""
from __future__ import annotations

import numpy as np

from mechacoder_soar.domain import Example as Pair
from mechacoder_soar.domain import Task
from mechacoder_soar.recognition import dream_pairs

# one program per primitive, each with a different footprint on the grids
PROGRAMS = {
    "flip_lr": [("flip_lr", {})],
    "scale_up": [("scale_up", {"ky": 2, "kx": 2})],
    "tile": [("tile", {"ny": 2, "nx": 2})],
    "crop_to_content": [("crop_to_content", {})],
    "gravity": [("gravity", {"direction": "down"})],
    "keep_colour": [("keep_colour", {"colour": 2})],
    "mirror_concat": [("mirror_concat", {"mode": "down"})],
    "draw_frame": [("draw_frame", {"colour": 5})],
    "take_half": [("take_half", {"which": "left"})],
}


def random_inputs(rng: np.random.Generator, n: int = 3, border: bool = True) -> list[list[list[int]]]:
    """n grids of 5-9 x 5-9 cells on black, with a few coloured rectangles (colours 1-4) inside a
    one-cell margin (so crop and frame have something to do)."""
    out = []
    for _ in range(n):
        h, w = rng.integers(5, 10, size=2)
        g = np.zeros((h, w), dtype=int)
        for _ in range(rng.integers(2, 5)):
            r, c = rng.integers(1, h - 2), rng.integers(1, w - 2)
            g[r:r + rng.integers(1, 3), c:c + rng.integers(1, 3)] = rng.integers(1, 5)
        g[rng.integers(1, h - 1), rng.integers(1, w - 1)] = 2   # every grid holds colour 2
        out.append(g.tolist())
    return out


def make_task(task_id: str, steps, rng: np.random.Generator) -> Task:
    """A task `steps` solves: random inputs and the program's outputs (retried until it is a task)."""
    while True:
        ins = random_inputs(rng, 4)
        pairs = dream_pairs(steps, ins)
        if pairs is not None:
            break
    train = [Pair(input=a.tolist(), output=b.tolist()) for a, b in pairs[:3]]
    a, _ = pairs[3]
    return Task(id=task_id, kind="arc", train=train, test_inputs=[a.tolist()])
