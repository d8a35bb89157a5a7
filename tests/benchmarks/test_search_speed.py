"""search_speed.py: the engine's time accounted for in full (--profile, --layers), the engines it
compares, and train-solved by depth."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mechacoder_soar.library_search import compiled

from .test_transfer_eval import _load

ss = _load("search_speed")


def test_profile_shares_cover_the_whole_search():
    rows = ss.profile(budget=60, depth=2, tasks=ss.THROUGHPUT_TASKS[:1], top=4)
    groups = [(k, v) for k, v in rows if k.startswith("all: ")]
    named = [(k, v) for k, v in rows if not k.startswith("all: ")]
    assert abs(sum(v for _, v in groups) - 1.0) < 1e-6     # every second of the search is in one group
    assert len(named) == 4 and [v for _, v in named] == sorted((v for _, v in named), reverse=True)
    assert any(k.startswith(("primitive ", "helper ")) for k, _ in named) or \
        dict(groups).get("all: primitive and helper bodies", 0) > 0


def test_layers_split_the_whole_search_and_leave_the_engine_as_it_was():
    """--layers: primitive runs, inference's own code and the rest add up to the timed searches'
    CPU time; the timed run evaluates the same programs as the plain one; afterwards every
    primitive and the engine's inference are the originals again (no timer left behind)."""
    from mechacoder_soar.library_search.engine import Engine
    from mechacoder_soar.library_search.primitives import PRIMITIVES

    fns, infer = {n: p.fn for n, p in PRIMITIVES.items()}, Engine.infer
    r = ss.layers(budget=120, depth=2, tasks=ss.THROUGHPUT_TASKS[:1])
    assert r["programs"] == 120 and r["primitive_calls"] > 0 and r["inference_calls"] > 0
    parts = r["layers"]
    assert list(parts) == ["primitive runs", "inference (own)", "engine, search loop, dedup, scoring"]
    assert abs(sum(v["cpu_s"] for v in parts.values()) - r["cpu_s_timed"]) < 1e-6
    assert all(0 <= v["share"] <= 1 and v["if_free"] >= 1 for v in parts.values())
    assert {n: p.fn for n, p in PRIMITIVES.items()} == fns and Engine.infer is infer


def test_the_python_and_nopause_engines_switch_one_thing_off_and_find_the_same():
    """The "python" engine's process has the twins switched off, the "nopause" engine's the garbage
    collector pause, and at an equal program count both return exactly what the engine returns (run as the benchmark runs them: each in a
    fresh spawned process, which needs the benchmark importable by name)."""
    job = {"task": ss.THROUGHPUT_TASKS[0], "suite": "arc1-train",
           "config": {"max_depth": 2, "budget": 150, "time_limit_s": 600, "stop_after_solutions": 0}}
    code = ("import json, sys; sys.path.insert(0, 'benchmarks'); import search_speed as ss; "
            f"print(json.dumps(ss._pool_map([{{**{job!r}, 'engine': e}} for e in ('python', 'nopause', 'engine')], 2)))")
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": str(root)})
    assert out.returncode == 0, out.stderr[-2000:]
    py, nopause, eng = json.loads(out.stdout.strip().splitlines()[-1])
    assert py["twins"] is False and eng["twins"] is compiled.ENABLED and py["gc_pause"] and eng["gc_pause"]
    assert nopause["gc_pause"] is False and nopause["twins"] is compiled.ENABLED
    assert py["n_evaluated"] == nopause["n_evaluated"] == eng["n_evaluated"] == 150
    assert py["candidates"] == nopause["candidates"] == eng["candidates"]
    assert py["warm_up_s"] > 0 and eng["warm_up_s"] > 0


def test_train_solved_counts_unsolved_tasks_whose_whole_space_was_searched():
    """At depth 1 with time to spare every search ends by running out of programs, so each task it
    leaves unsolved counts as one whose whole space was searched (where speed cannot help)."""
    code = ("import json, sys; sys.path.insert(0, 'benchmarks'); import search_speed as ss; ss.ENGINES[:] = ['engine']; "
            "print(json.dumps(ss.train_solved([120], 2, 2, [1])))")
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": str(root)})
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert list(report) == ["120s depth 1"]
    row = report["120s depth 1"]["engine"]
    assert row["tasks"] == 2 and 0 < row["programs_median"] < 2_000
    assert row["whole_space"] == row["tasks"] - row["solved"]


def test_solve_depths_must_be_depths():
    for bad in ("x", "0", ""):
        with pytest.raises(SystemExit):
            ss.main(["--solve-depths", bad, "--times", "", "--depths", "1", "--budget", "1"])
