"""`render_program` produces one standalone module whose `transform` agrees with `run_steps`."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mechacoder_soar.library_search.primitives import PRIMITIVES, render_program, run_steps
from mechacoder_soar.library_search.search import search, SearchConfig
from .test_primitives import CASES

PROGRAMS = [
    [],
    [("flip_lr", {}), ("colour_map", {"mapping": [[1, 7]]})],
    [("crop_object", {"selector": "largest", "conn": 8, "multicolour": True, "bg": 0}), ("scale_up", {"ky": 2, "kx": 2}),
     ("mirror_concat", {"mode": "right"})],
    [("fill_enclosed", {"colour": 4, "bg": 0}), ("halo", {"colour": 2, "diag": True, "bg": 0}), ("transpose", {})],
]
GRID = [[0, 1, 1, 1, 0], [0, 1, 0, 1, 0], [0, 1, 1, 1, 0], [3, 0, 0, 0, 0]]


def exec_transform(code: str):
    ns: dict = {}
    exec(compile(code, "<rendered>", "exec"), ns)  # fresh namespace: nothing leaks in from here
    return ns["transform"]


@pytest.mark.parametrize("steps", PROGRAMS)
def test_rendered_program_matches_run_steps(steps):
    code = render_program(steps)
    assert code.count("def transform(") == 1
    assert exec_transform(code)(GRID) == run_steps(steps, GRID)


def test_every_primitive_renders_standalone():
    for name, params, grid, expected in CASES:
        code = render_program([(name, params)])
        assert exec_transform(code)(grid) == expected, name


def test_primitive_source_included_once():
    code = render_program([("flip_lr", {}), ("flip_lr", {}), ("rot90", {})])
    assert code.count("def flip_lr(") == 1 and code.count("def rot90(") == 1


def test_rendered_search_solution_runs_in_a_numpy_only_subprocess():
    pairs = [([[1, 2], [3, 4]], [[2, 1], [4, 3]]), ([[5, 0]], [[0, 5]])]
    res = search(pairs, [[[7, 8]]], SearchConfig(budget=200, time_limit_s=10))
    steps = res.candidates[0].steps
    code = render_program(steps) + "\nimport json, sys\nprint(json.dumps(transform(json.loads(sys.argv[1]))))\n"
    out = subprocess.run([sys.executable, "-I", "-c", code, json.dumps([[7, 8]])],
                         capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(out.stdout) == [[8, 7]]
    assert len(PRIMITIVES) > 0
