"""The uses on the card, chained as a user chains them: real `soar` processes, a real store on
disk, the real sandboxes, a real REST server on loopback and the real SmolLM2 where a model is
used. No store is built by hand: every skill comes from a run or from an agent's recorded attempt."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.conftest import PYTHON, ROOT
from tests.skills_store.test_http_api import Server, free_port

TRANSPOSE = "74dd1130"  # 3x3 grids: short prompts, so CPU training steps stay small
FLIP, ROT = "68b16354", "6150a2bd"
# solved by one primitive with settings (mirror_concat quad, tile 1x2): new skills for the library,
# where a bare seed primitive (FLIP's flip_ud) is one it already holds
MIRROR, TILE = "3af2c5a8", "a416b8f3"


def soar(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([PYTHON, "-m", "mechacoder_soar", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=env)


def ok(r: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert r.returncode == 0, f"rc {r.returncode}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


def records(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "attempts.jsonl").read_text().splitlines()]


def arc_run(store: Path, run_dir: Path, tasks: str, *extra: str) -> dict:
    ok(soar("run", "--suite", "arc1-train", "--task-ids", tasks, "--iterations", "1", "--budget-sample", "2",
            "--budget-refine", "1", "--search-budget", "500", "--concurrency", "1", "--store", str(store),
            "--run-dir", str(run_dir), *extra))
    return json.loads((run_dir / "metrics.json").read_text())


# ------------------------------------------------------------------ distillation end to end

@pytest.mark.slow
@pytest.mark.timeout(3000)  # CPU LoRA steps and SmolLM2 loads: minutes on a shared 2-core machine
def test_run_export_train_then_the_adapter_proposes(tmp_path):
    """`soar run` -> `distill export` -> `distill train` -> `soar run --proposer local/smollm2+ADAPTER`.
    The adapter's completion (4 tokens: too few for a program, so the real model is weak by
    construction) is journalled as an unparsed error attempt and counted."""
    store = tmp_path / "store"
    m = arc_run(store, tmp_path / "run", TRANSPOSE)
    assert m["iterations"][0]["train_solved"] == 1
    r = ok(soar("distill", "export", "--store", str(store), "--out", str(tmp_path / "sft"), "--val-fraction", "0"))
    manifest = json.loads((tmp_path / "sft" / "manifest.json").read_text())
    rows = [json.loads(line) for line in (tmp_path / "sft" / "train.jsonl").read_text().splitlines()]
    # the solved task itself is a row (its prompt holds its grids), as are its hindsight relabellings
    assert TRANSPOSE in {row["task_id"] for row in rows} and manifest["counts"]["train"]["rows"] == len(rows)
    assert any(row["task_id"].startswith("hindsight:") for row in rows), r.stdout
    ok(soar("distill", "train", "--data", str(tmp_path / "sft"), "--out", str(tmp_path / "lora"), "--max-steps", "2",
            "--batch-size", "1", "--max-seq-len", "1024", timeout=1500))
    assert (tmp_path / "lora" / "adapter_config.json").exists()
    model = f"local/smollm2+{tmp_path / 'lora'}"
    ok(soar("run", "--proposer", model, "--suite", "arc1-train", "--limit", "1", "--iterations", "1",
            "--budget-sample", "1", "--budget-refine", "0", "--max-tokens", "4", "--temperature", "0",
            "--store", str(tmp_path / "store2"), "--run-dir", str(tmp_path / "run2"), timeout=1500))
    [rec] = records(tmp_path / "run2")
    assert rec["model"] == model
    # every completion is an attempt, with its raw text (REX refining one: tests/graphs/test_unparsed_attempts.py)
    assert rec["code"] == rec["meta"]["completion"] and rec["meta"]["unparsed"] and rec["error"].startswith("unparsed")
    row = json.loads((tmp_path / "run2" / "metrics.json").read_text())["iterations"][0]
    assert row["attempts"] == 1 and row["unparsed"] == 1


# ------------------------------------------------------------------ Terminal-Bench without an LLM

def test_terminal_suite_with_an_empty_store_stops_at_once(tmp_path):
    r = soar("run", "--suite", "tb:builtin", "--store", str(tmp_path / "store"), "--run-dir", str(tmp_path / "run"))
    assert r.returncode == 2
    assert "no terminal skills" in r.stderr and "--proposer" in r.stderr
    assert not (tmp_path / "run" / "attempts.jsonl").exists()


RECORDED = ["hello-file", "json-to-csv", "make-c-build"]
NOT_RECORDED = "fix-permissions"


def _record_reference_solutions(store: Path, log: Path) -> None:
    """An agent records the builtin tasks' reference solutions over the REST API."""
    from mechacoder_soar.terminal import builtin_suite_path, load_tb_task

    server = Server(["http", "--store", str(store)], free_port(), log).wait_ready()
    try:
        for name in RECORDED:
            t = load_tb_task(builtin_suite_path() / name)
            r = httpx.post(server.url + "/attempts", json={"task": t.instruction, "code": t.reference_script(),
                                                           "passed": True, "kind": "terminal"}, timeout=60)
            assert r.status_code == 200 and r.json()["new_skill_source"] == "solved", r.text
    finally:
        assert server.stop() == 0


def test_recorded_solutions_solve_terminal_tasks_from_memory(tmp_path):
    store = tmp_path / "store"
    _record_reference_solutions(store, tmp_path / "server.log")
    run_dir = tmp_path / "run"
    r = ok(soar("run", "--suite", "tb:builtin", "--task-ids", ",".join(RECORDED + [NOT_RECORDED]), "--iterations", "1",
                "--budget-sample", "1", "--budget-refine", "1", "--store", str(store), "--run-dir", str(run_dir)))
    per_task = {t["task_id"]: t for t in json.loads((run_dir / "metrics.json").read_text())["iterations"][0]["per_task"]}
    assert all(per_task[n]["train_solved"] for n in RECORDED)
    assert not per_task[NOT_RECORDED]["train_solved"]
    # it says why: the best attempt's failing tests, on stdout and in metrics.json
    why = per_task[NOT_RECORDED]["failure"]
    assert "failing tests" in why and f"{NOT_RECORDED}: {why}" in r.stdout
    recs = records(run_dir)
    assert {x["model"] for x in recs} == {"terminal-library"}
    # the unrecorded task got someone else's script, then a different one to refine with
    mine = [x for x in recs if x["task_id"] == NOT_RECORDED]
    assert [x["mode"] for x in mine] == ["sample", "refine"] and mine[0]["code"] != mine[1]["code"]
    # and the export turns the agents' records and the run's skills into SFT rows
    ok(soar("distill", "export", "--store", str(store), "--out", str(tmp_path / "sft")))
    m = json.loads((tmp_path / "sft" / "manifest.json").read_text())
    assert m["counts"]["train"]["rows"] + m["counts"]["validation"]["rows"] >= len(RECORDED)


# ------------------------------------------------------------------ soar adapt

def _namespace_state(store: Path, ns: str) -> list[tuple]:
    from skills_store import StoreConfig
    from skills_store.store import SkillStore

    with SkillStore(StoreConfig(location=str(store), namespace=ns)) as s:
        return sorted((k.id, k.content_hash, k.sampling_uses, k.sampling_ema, k.refine_uses, k.refine_ema)
                      for k in s.all(include_superseded=True))


def test_adapt_learns_apart_from_the_base_and_reports_lift(tmp_path):
    store = tmp_path / "store"
    arc_run(store, tmp_path / "base-run", TRANSPOSE)
    base_before = _namespace_state(store, "default")
    run_dir = tmp_path / "adapt"
    r = ok(soar("adapt", "--suite", "arc1-train", "--task-ids", f"{MIRROR},{TILE}", "--iterations", "2",
                "--budget-sample", "2", "--budget-refine", "1", "--search-budget", "300", "--concurrency", "1",
                "--store", str(store), "--run-dir", str(run_dir)))
    assert _namespace_state(store, "default") == base_before  # untouched without --merge
    adapted = _namespace_state(store, "adapt-adapt")
    assert {x[0] for x in base_before} < {x[0] for x in adapted}  # started from the base, learned more
    m = json.loads((run_dir / "metrics.json").read_text())
    it0, last = m["iterations"][0], m["iterations"][-1]
    lift = m["adapt"]["lift"]
    assert lift["iteration0"]["train_solved"] == it0["train_solved"] and lift["final"]["iteration"] == 1
    assert lift["train_solved"] == last["train_solved"] - it0["train_solved"]
    assert lift["test_pass_at_2"] == pytest.approx(last["test_pass_at_2"] - it0["test_pass_at_2"])
    assert m["adapt"]["merged"] is None and "lift over iteration 0" in r.stderr
    html = ok(soar("report", str(run_dir))).stdout
    page = (run_dir / "report.html").read_text()
    assert "Test-time adaptation" in page and "base untouched" in page, html

    # --merge folds what it learned into the base
    ok(soar("adapt", "--suite", "arc1-train", "--task-ids", f"{MIRROR},{TILE}", "--iterations", "1", "--budget-sample", "2",
            "--budget-refine", "1", "--search-budget", "300", "--concurrency", "1", "--store", str(store),
            "--run-dir", str(tmp_path / "m"), "--merge"))
    merged = json.loads((tmp_path / "m" / "metrics.json").read_text())["adapt"]["merged"]
    after = _namespace_state(store, "default")
    assert len(after) == len(base_before) + merged["added_to_base"] and merged["added_to_base"] > 0


def test_adapt_refuses_to_learn_into_its_base(tmp_path):
    r = soar("adapt", "--suite", "arc1-train", "--task-ids", FLIP, "--namespace", "default",
             "--store", str(tmp_path / "store"), "--run-dir", str(tmp_path / "run"))
    assert r.returncode == 2 and "namespace of its own" in r.stderr
    r = soar("run", "--suite", "arc1-train", "--task-ids", FLIP, "--merge", "--store", str(tmp_path / "store"),
             "--run-dir", str(tmp_path / "run2"))
    assert r.returncode == 2 and "soar adapt" in r.stderr
