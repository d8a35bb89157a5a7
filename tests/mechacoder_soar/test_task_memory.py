"""Cross-iteration memory (task_memory.py): a task's closest misses, kept by learning, are where
the next iteration's search on it starts, so iteration 1 reaches programs iteration 0 could not
at the same budget. Real store, executor, loop and search on a small synthetic task."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from graphs.runner import run_loop
from mechacoder_soar.adaptation import memory
from mechacoder_soar.config import RunConfig
from mechacoder_soar.describe import describe_arc
from mechacoder_soar.domain import Attempt
from mechacoder_soar.library_search.config import SearchConfig
from mechacoder_soar.library_search.primitives import PRIMITIVES
from mechacoder_soar.proposers.library import LibrarySearchConfig, LibrarySearchProposer
from mechacoder_soar.suites import load_tasks
from mechacoder_soar.task_memory import (NEAR_MISS_TAG, ORIGIN_ACCURACY, ORIGIN_PIXELS, near_misses,
                                         stones_by_task)
from skills_store.schema import Skill, code_hash

pytestmark = pytest.mark.store_backends("embedded")

# three steps: past a depth-2 search, one step past a depth-2 prefix of it
PROGRAM = [("flip_lr", {}), ("scale_up", {"ky": 2, "kx": 2}), ("draw_frame", {"colour": 5})]
SEARCH = SearchConfig(max_depth=2, budget=1000, time_limit_s=60)
# geometric pairs: one more step never gives PROGRAM's scaling and frame at once
DECOYS = [[[a, {}], [b, {}]] for a in ("flip_ud", "rot90", "rot180", "rot270", "transpose", "anti_transpose")
          for b in ("flip_ud", "rot90", "rot180", "rot270", "transpose", "anti_transpose") if a != b]


def _apply(grid):
    a = np.array(grid)
    for name, params in PROGRAM:
        a = PRIMITIVES[name].fn(a, **params)
    return a.tolist()


def _suite(tmp_path: Path) -> str:
    rng = np.random.default_rng(7)
    grids = [((rng.random((4, 5)) < 0.4) * rng.integers(1, 4, (4, 5))).tolist() for _ in range(4)]
    task = {"train": [{"input": g, "output": _apply(g)} for g in grids[:3]],
            "test": [{"input": grids[3], "output": _apply(grids[3])}]}
    (tmp_path / "tasks").mkdir(parents=True)
    (tmp_path / "tasks" / "synth.json").write_text(json.dumps(task))
    return f"arc:{tmp_path / 'tasks'}"


def _crowd(store, suite: str) -> None:
    """Learned skills described exactly as the task (so retrieval ranks them above anything the
    run learns): without the memory, the task's own near misses never reach its search."""
    task = load_tasks(suite)[0]
    query = describe_arc([(e.input, e.output) for e in task.train], task.test_inputs)
    store.add([{"code": f"def transform(grid):\n    return grid[{i}:]", "description": query, "kind": "arc",
                "source": "hindsight", "output_signature": f"decoy{i}", "meta": {"dsl": json.dumps(d)}}
               for i, d in enumerate(DECOYS)])


def _run(tmp_path: Path, name: str, store_factory, stones: int):
    suite = _suite(tmp_path / name)
    cfg = RunConfig(suite=suite, iterations=2, budget_sample=4, budget_refine=0, concurrency=1, workers=1,
                    run_dir=str(tmp_path / name / "run"), search=SEARCH, stones_per_task=stones)
    with store_factory(tmp_path / name / "store") as store:
        _crowd(store, suite)
        m = run_loop(cfg, library=store)
        near = [s for s in store.all() if NEAR_MISS_TAG in s.tags]
        assert memory(store) == {"near_miss_skills": len(near), "tasks": len({s.origin_task_id for s in near})}
    journal = [json.loads(line) for line in (tmp_path / name / "run" / "attempts.jsonl").read_text().splitlines()]
    return [r["train_solved"] for r in m["iterations"]], near, journal


@pytest.fixture
def store_factory():
    from skills_store import StoreConfig
    from skills_store.store import SkillStore

    return lambda path: SkillStore(StoreConfig(location=str(path)))


def test_iteration_1_reaches_what_iteration_0_could_not_only_with_the_memory(tmp_path, store_factory):
    solved, near, journal = _run(tmp_path, "on", store_factory, stones=3)
    assert solved == [0, 1]
    # learning kept the closest misses, saying how close they came
    assert near and all(s.origin_task_id == "synth" and ORIGIN_PIXELS in s.meta and ORIGIN_ACCURACY in s.meta
                        for s in near)
    # the solution extends a program iteration 0 journalled
    first = {json.dumps(json.loads(r["meta"]["dsl"])) for r in journal if r["iteration"] == 0 and "dsl" in r["meta"]}
    win = [json.loads(r["meta"]["dsl"]) for r in journal if r["iteration"] == 1 and all(r["correct_train_input"])]
    assert win and any(json.dumps(w[:j]) in first for w in win for j in range(1, len(w)))
    # never the same program or output set twice within one task and iteration
    for it in (0, 1):
        recs = [r for r in journal if r["iteration"] == it]
        assert max(Counter(code_hash(r["code"]) for r in recs).values()) == 1
        outs = Counter(json.dumps([r["predicted_train_output"], r["predicted_test_output"]]) for r in recs)
        assert max(outs.values()) == 1
    # the same run with the memory switched off stays where iteration 0 got
    off, near_off, _ = _run(tmp_path, "off", store_factory, stones=0)
    assert off == [0, 0] and not near_off


def _attempt(i: int, acc: float, pix: float | None, *, dsl=True, correct=False, out=None) -> Attempt:
    return Attempt(id=f"a{i}", task_id="t", code="x" * (10 + i), train_accuracy=acc, pixel_accuracy=pix,
                   train_correct=[correct], train_outputs=[out if out is not None else [[i]]], test_outputs=[[[i]]],
                   meta={"dsl": json.dumps([["flip_lr", {}]])} if dsl else {})


def test_near_misses_rank_by_pairs_then_pixels_and_skip_what_cannot_be_a_stone():
    atts = [_attempt(0, 0.0, 0.9), _attempt(1, 0.5, 0.2), _attempt(2, 0.0, 0.95, dsl=False), _attempt(3, 0.0, None),
            _attempt(4, 0.0, 0.5)]
    assert [a.id for a in near_misses(atts, 3)] == ["a1", "a0", "a4"]
    assert [a.id for a in near_misses(atts, 0)] == []
    # one per output set: a5 makes what a0 makes
    dup = _attempt(5, 0.0, 0.8)
    dup = dup.model_copy(update={"train_outputs": atts[0].train_outputs, "test_outputs": atts[0].test_outputs})
    assert "a5" not in [a.id for a in near_misses(atts + [dup], 5)]
    # a solved task needs no stone
    assert near_misses(atts + [_attempt(6, 1.0, 1.0, correct=True)], 3) == []


def _skill(sid: str, source: str, origin: str | None, meta: dict) -> Skill:
    code = f"def transform(grid):\n    return grid  # {sid}"
    return Skill(id=sid, content_hash=code_hash(code), code=code, description="d", kind="arc", source=source,
                 origin_task_id=origin, meta=meta)


def test_stones_are_an_unsolved_tasks_own_near_misses_closest_first():
    steps = [("flip_lr", {})]
    skills = [_skill("far", "hindsight", "t", {ORIGIN_ACCURACY: 0.0, ORIGIN_PIXELS: 0.3}),
              _skill("near", "hindsight", "t", {ORIGIN_ACCURACY: 0.0, ORIGIN_PIXELS: 0.9}),
              _skill("pairs", "hindsight", "t", {ORIGIN_ACCURACY: 0.5, ORIGIN_PIXELS: 0.1}),
              _skill("unranked", "hindsight", "t", {}),  # no closeness recorded: no evidence it is near
              _skill("other", "hindsight", "u", {ORIGIN_ACCURACY: 0.0, ORIGIN_PIXELS: 0.99}),
              _skill("seed", "seed", None, {})]
    got = stones_by_task((s, steps) for s in skills)
    assert [st.skill_id for st in got["t"]] == ["pairs", "near", "far"]
    assert [st.skill_id for st in got["u"]] == ["other"]
    # once the library holds a solution of u, u's search runs without stones
    got = stones_by_task((s, steps) for s in skills + [_skill("sol", "solved", "u", {})])
    assert "u" not in got and [st.skill_id for st in got["t"]] == ["pairs", "near", "far"]


def test_stones_lead_the_search_deterministically(tmp_path, store_factory):
    """A task's stones come first among the learned compositions; the same library and seed give
    the same proposals; a proposer with the memory off ignores them."""
    suite = _suite(tmp_path)
    task = load_tasks(suite)[0].public()
    stone = [["flip_lr", {}], ["scale_up", {"ky": 2, "kx": 2}]]
    with store_factory(tmp_path / "store") as store:
        _crowd(store, suite)
        store.add([{"code": "def transform(grid):\n    return grid[::-1]", "description": "near", "kind": "arc",
                    "source": "hindsight", "origin_task_id": task.id, "output_signature": "near",
                    "meta": {"dsl": json.dumps(stone), ORIGIN_ACCURACY: 0.0, ORIGIN_PIXELS: 0.8}}])

        def proposer(stones: int) -> LibrarySearchProposer:
            return LibrarySearchProposer(store, LibrarySearchConfig(SEARCH, processes=1, own_stones=stones))

        on = proposer(3)
        assert on.steer(task, []).extras[0] == [tuple(s) for s in stone]
        assert [tuple(s) for s in stone] not in proposer(0).steer(task, []).extras
        a, b = on.sample(task, [], 4, seed=11), proposer(3).sample(task, [], 4, seed=11)
        assert [p.code for p in a] == [p.code for p in b]
        assert any(json.loads(p.meta["dsl"]) == PROGRAM_JSON for p in a)  # one step past the stone


PROGRAM_JSON = [[n, p] for n, p in PROGRAM]
