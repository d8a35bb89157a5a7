"""Grounded stepping stones: a batch that makes a held-out hard task solvable is admitted, one that
does not is rejected, and only admitted skills reach the real library.

Setup (small and deterministic): the student searches depth 1 only. The held-out task H needs
scale_up then flip_lr (depth 2). Source task A has a near-miss program [scale_up, flip_lr] in the
run (wrong for A, but by hindsight it solves "A's inputs -> its outputs"); stored as a stepping
stone it is a depth-1 candidate for the student, so H becomes solvable. Source task B's near miss
is [rot90]: no help.
"""
from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from mechacoder_soar.cli import app
from mechacoder_soar.curriculum import (CurriculumConfig, CurriculumError, hard_task_ids, measure_student,
                                        prefix_stones, run_curriculum_for_run, split_hard)
from mechacoder_soar.domain import Attempt, Example, Task, attempt_id
from mechacoder_soar.library_search.config import SearchConfig
from mechacoder_soar.library_search.primitives import render_program, run_steps
from mechacoder_soar.proposers.library import LibrarySearchConfig, ensure_seed_skills

pytestmark = pytest.mark.store_backends("embedded")  # the engine's logic, not the backend, is under test

UP_FLIP = [("scale_up", {"ky": 2, "kx": 2}), ("flip_lr", {})]
ROT = [("rot90", {})]


def _grids(seed, n, shape=(3, 3)):
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < n:
        g = rng.integers(0, 4, size=shape)
        if not np.array_equal(g, g[:, ::-1]):
            out.append(g.tolist())
    return out


def _task(tid, steps_true, seed):
    gs = _grids(seed, 4)
    return Task(id=tid, kind="arc", train=[Example(input=g, output=run_steps(steps_true, g)) for g in gs[:3]],
                test_inputs=[gs[3]], test_outputs=[run_steps(steps_true, gs[3])])


def _attempt(task, steps, it=0):
    ins = [e.input for e in task.train] + task.test_inputs
    outs = [run_steps(steps, g) for g in ins]
    n = len(task.train)
    correct = [o == e.output for o, e in zip(outs[:n], task.train)]
    code = render_program(steps)
    return Attempt(id=attempt_id(task.id, code, it, "sample", None), task_id=task.id, code=code, iteration=it,
                   train_outputs=outs[:n], test_outputs=outs[n:], train_correct=correct,
                   train_accuracy=sum(correct) / n, test_correct=[False], meta={"dsl": json.dumps(steps)})


@pytest.fixture
def run_dir(tmp_path):
    """A run directory over an arc:PATH suite with three hard tasks: H (held out), A, B."""
    tasks = {
        "H": _task("H", UP_FLIP, 1),
        # A's real rule is "scale up then transpose": the up-flip program is a near miss for it
        "A": _task("A", [("scale_up", {"ky": 2, "kx": 2}), ("transpose", {})], 2),
        "B": _task("B", [("flip_ud", {}), ("rot90", {}), ("recolour_nonbg", {"colour": 5})], 3),
    }
    suite = tmp_path / "tasks"
    suite.mkdir()
    for t in tasks.values():
        (suite / f"{t.id}.json").write_text(json.dumps({"train": [e.model_dump() for e in t.train],
                                                        "test": [{"input": t.test_inputs[0], "output": t.test_outputs[0]}]}))
    rd = tmp_path / "run"
    rd.mkdir()
    (rd / "config.json").write_text(json.dumps({"suite": f"arc:{suite}", "namespace": "default"}))
    atts = [_attempt(tasks["A"], UP_FLIP), _attempt(tasks["B"], ROT)]
    assert not any(a.fully_correct for a in atts)
    (rd / "attempts.jsonl").write_text("".join(json.dumps(a.to_soar_record()) + "\n" for a in atts))
    per_task = [{"task_id": t, "train_solved": False} for t in tasks]
    (rd / "metrics.json").write_text(json.dumps({"iterations": [{"iteration": 0, "per_task": per_task}]}))
    return rd


def cfg(time_limit_s=2.0, budget=400, max_depth=1, **kw):
    student = LibrarySearchConfig(search=SearchConfig(time_limit_s=time_limit_s, budget=budget, max_depth=max_depth),
                                  k_retrieve=200)
    base = dict(holdout_ids=("H",), repeats=1, student=student, generators=("hindsight", "prefix"))
    base.update(kw)
    return CurriculumConfig(**base)


def test_grounded_admission(run_dir, store):
    ensure_seed_skills(store)
    before = {s.id for s in store.all()}
    out = run_curriculum_for_run(run_dir, store, cfg())
    rows = {b["name"]: b for b in out["batches"]}
    assert out["holdout"] == ["H"] and out["sources"] == ["A", "B"]
    assert rows["hindsight:A"]["gain"] == pytest.approx(1.0) and rows["hindsight:A"]["admitted"]
    assert rows["hindsight:B"]["gain"] == 0.0 and not rows["hindsight:B"]["admitted"]
    s = out["summary"]
    assert s["baseline_rate"] == 0.0 and s["grounded_rate"] == 1.0 and s["ungrounded_rate"] == 1.0
    assert s["admitted"] == 1 and s["rejected"] == len(rows) - 1
    # only the admitted batch reached the real library
    new = [sk for sk in store.all() if sk.id not in before]
    assert new and all(sk.meta.get("stepping_stone") and sk.origin_task_id == "A" for sk in new)
    assert set(out["added_skill_ids"]) == {sk.id for sk in new}
    saved = json.loads((run_dir / "curriculum.json").read_text())
    assert saved["summary"] == s


def test_dry_run_and_cli(run_dir, store_dir, store):
    ensure_seed_skills(store)
    n = store.stats()["skills"]
    store.close()
    r = CliRunner().invoke(app, ["curriculum", "--run-dir", str(run_dir), "--store", str(store_dir), "--holdout-ids", "H",
                                 "--repeats", "1", "--search-time", "2", "--search-budget", "400", "--max-depth", "1",
                                 "--generators", "hindsight", "--dry-run", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["summary"]["admitted"] == 1 and out["summary"]["added_to_library"] == 0
    from skills_store import StoreConfig
    from skills_store.store import SkillStore

    with SkillStore(StoreConfig(location=str(store_dir))) as s2:
        assert s2.stats()["skills"] == n  # dry run: the real library is untouched
    bad = CliRunner().invoke(app, ["curriculum", "--run-dir", str(run_dir), "--store", str(store_dir), "--holdout-ids", "Z"])
    assert bad.exit_code == 2 and "not at fail@K" in bad.output


def test_student_and_generators_units(run_dir, store):
    t = _task("A", [("scale_up", {"ky": 2, "kx": 2}), ("transpose", {})], 2)
    stones = prefix_stones(t, [_attempt(t, UP_FLIP)], 5)
    assert len(stones) == 1 and json.loads(stones[0].skill.meta["dsl"]) == [["scale_up", {"ky": 2, "kx": 2}]]
    assert stones[0].task.train[0].output == run_steps(UP_FLIP[:1], t.train[0].input)
    assert hard_task_ids([{"per_task": [{"task_id": "x", "train_solved": True}, {"task_id": "y", "train_solved": False}]}], []) == ["y"]
    with pytest.raises(CurriculumError, match="at least 2"):
        split_hard(["only"], 3, 0)
    held, src = split_hard(["a", "b", "c", "d"], 3, 0)
    assert len(held) == 3 and len(src) == 1 and not set(held) & set(src)
    with pytest.raises(CurriculumError, match="unknown stepping-stone"):
        CurriculumConfig(generators=("magic",))
    ensure_seed_skills(store)
    m = measure_student(store, [_task("H", UP_FLIP, 1).public()], cfg(max_depth=2, budget=5000, time_limit_s=5.0))
    assert m.rate == 1.0  # at depth 2 the student solves H alone: the depth-1 setup is what makes stones matter


def test_caller_made_batches_and_no_stones_from_held_out_tasks(run_dir, store):
    """The stepping-stones benchmark makes batches from fewer sources and passes them in; stones
    made from a held-out task would measure the student on its own answers, and are refused."""
    from mechacoder_soar.curriculum import make_batches, run_curriculum
    from mechacoder_soar.report.rundata import load_run
    from mechacoder_soar.suites import load_tasks

    ensure_seed_skills(store)
    run = load_run(run_dir)
    tasks = {t.id: t.public() for t in load_tasks(run.config["suite"])}
    c = cfg(dry_run=True)
    only_a = make_batches([tasks["A"]], run.by_task(), c)
    out = run_curriculum(tasks, run.iterations, run.attempts, store, c, batches=only_a)
    assert out["sources"] == ["A"] and [b["name"] for b in out["batches"]] == [b.name for b in only_a]
    assert out["summary"]["grounded_rate"] == 1.0
    h_attempt = _attempt(_task("H", UP_FLIP, 1), [("scale_up", {"ky": 2, "kx": 2}), ("transpose", {})])
    from_h = make_batches([tasks["H"]], {"H": [h_attempt]}, c)
    assert from_h
    with pytest.raises(CurriculumError, match="held-out task"):
        run_curriculum(tasks, run.iterations, run.attempts, store, c, batches=from_h)


def test_cli_refuses_a_run_on_held_out_eval_tasks(run_dir, store_dir):
    conf = json.loads((run_dir / "config.json").read_text())
    (run_dir / "config.json").write_text(json.dumps({**conf, "suite": "arc1-eval"}))
    r = CliRunner().invoke(app, ["curriculum", "--run-dir", str(run_dir), "--store", str(store_dir), "--dry-run"])
    assert r.exit_code == 2 and "held out for the final table" in r.output
