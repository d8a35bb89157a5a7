"""The no-LLM proposer: seeds, learned composites becoming depth-1 candidates, budget."""
import json

from graphs.runner import run_loop
from mechacoder_soar.config import RunConfig
from mechacoder_soar.library_search.config import SearchConfig
from mechacoder_soar.proposers.library import (LibrarySearchConfig, LibrarySearchProposer, ensure_seed_skills,
                                               seed_skills)
from mechacoder_soar.suites import load_tasks

DEPTH2 = "90c28cc7"  # arc1-train: needs two composed primitives


def test_seed_skills_cover_every_primitive_and_are_idempotent(store):
    seeds = seed_skills()
    assert len(seeds) >= 40 and all(s.source == "seed" and "primitive" in s.meta for s in seeds)
    assert {s.tags[0] for s in seeds} >= {"geometry", "colour", "objects", "drawing"}
    assert ensure_seed_skills(store) == len(seeds)
    assert ensure_seed_skills(store) == 0


def test_learned_composite_is_one_skill_next_iteration(tmp_path, store):
    cfg = RunConfig(suite="arc1-train", task_ids=[DEPTH2], iterations=1, budget_sample=2, budget_refine=0,
                    search=SearchConfig(time_limit_s=20), run_dir=str(tmp_path / "run"), concurrency=1)
    m = run_loop(cfg, library=store)
    assert m["iterations"][0]["train_solved"] == 1
    solved = [s for s in store.all() if s.source == "solved" and s.origin_task_id == DEPTH2]
    assert solved
    steps = json.loads(solved[0].meta["dsl"])
    assert len(steps) >= 2
    assert "def transform(grid)" in solved[0].code and "import numpy" in solved[0].code  # self-contained
    # Next time, the composite is retrieved and tried as a single candidate: it is credited as one skill.
    task = load_tasks("arc1-train", task_ids=[DEPTH2])[0].public()
    p = LibrarySearchProposer(store, LibrarySearchConfig(SearchConfig(time_limit_s=5), processes=1))
    props = p.sample(task, [], 1)
    assert props
    credited = [s for s in solved if s.id in props[0].context_skill_ids]
    assert credited, "the proposal is not credited to the learned composite it starts with"
    own = json.loads(credited[0].meta["dsl"])
    assert len(own) >= 2 and json.loads(props[0].meta["dsl"])[: len(own)] == own


def test_search_respects_time_budget(store):
    import time

    ensure_seed_skills(store)
    task = load_tasks("arc1-train:transfer", limit=1)[0].public()
    p = LibrarySearchProposer(store, LibrarySearchConfig(SearchConfig(time_limit_s=1.0), processes=1))
    t = time.perf_counter()
    props = p.sample(task, [], 3)
    assert time.perf_counter() - t < 6.0  # 1 s of search plus retrieval and rendering
    assert len(props) <= 3


def test_seeds_still_steer_when_learned_skills_crowd_the_library(store):
    from mechacoder_soar.describe import describe_arc

    ensure_seed_skills(store)
    task = load_tasks("arc1-train", task_ids=[DEPTH2])[0].public()
    query = describe_arc([(e.input, e.output) for e in task.train], task.test_inputs)
    # 30 learned skills that match the task's own description better than any seed can
    store.add([{"code": f"def transform(grid):\n    return grid[{i}:]", "description": query, "kind": "arc",
                "source": "hindsight", "output_signature": f"crowd{i}"} for i in range(30)])
    store.add([{"code": "def transform(grid):\n    return grid[::-1]", "description": query, "kind": "arc",
                "source": "solved", "meta": {"dsl": json.dumps([["flip_ud", {}], ["transpose", {}]])}}])
    p = LibrarySearchProposer(store, LibrarySearchConfig(k_retrieve=8, processes=1))
    st = p.steer(task, [])
    order, extras, plain = st.order, st.extras, st.plain
    seeds = {s.meta["primitive"] for s in store.all() if s.source == "seed"}
    assert len([n for n in order if n in seeds]) >= 8  # the seeds' ranking still orders the search
    assert extras == [[("flip_ud", {}), ("transpose", {})]]  # the learned composite is tried first...
    assert {"flip_ud", "transpose"} <= set(order)  # ...and its primitives are preferred when extending
    assert plain and all(s.source == "hindsight" for s in plain)


def test_prior_is_learned_from_solved_programs_and_follows_the_library(store):
    ensure_seed_skills(store)
    task = load_tasks("arc1-train", task_ids=[DEPTH2])[0].public()
    p = LibrarySearchProposer(store, LibrarySearchConfig(SearchConfig(time_limit_s=1.0, budget=200), processes=1,
                                                    learn_prior=True))
    p.sample(task, [], 1)
    assert p.prior == {}  # seeds only: nothing learned yet

    def solved(i, steps):
        return {"code": f"def transform(grid):\n    return grid[{i}:]", "description": f"task {i}", "kind": "arc",
                "source": "solved", "origin_task_id": f"t{i}", "meta": {"dsl": json.dumps(steps)}}

    store.add([solved(i, [["crop_to_content", {}], ["flip_lr", {}]]) for i in range(6)])
    p.sample(task, [], 1)  # the library grew: the prior is recomputed
    assert p.prior["crop_to_content"] < p.prior["rot90"] == 1   # what solutions use gets cheaper, nothing dearer
    off = LibrarySearchProposer(store, LibrarySearchConfig(SearchConfig(budget=200), processes=1, learn_prior=False))
    off.sample(task, [], 1)
    assert off.prior == {}
