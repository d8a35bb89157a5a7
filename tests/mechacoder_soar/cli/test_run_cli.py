"""`soar run` as a user runs it: a real process, killed with SIGKILL mid-run, then resumed."""
import json
import os
import signal
import subprocess
import time
from pathlib import Path

from tests.conftest import ROOT

SOAR = str(Path(ROOT) / ".venv" / "bin" / "soar")
TASKS = "68b16354,74dd1130,3c9b0459,6150a2bd"


def test_kill_then_resume_finishes_without_duplicates(tmp_path):
    run_dir, store = tmp_path / "run", tmp_path / "store"
    args = ["run", "--suite", "arc1-train", "--task-ids", TASKS, "--iterations", "2", "--budget-sample", "3",
            "--budget-refine", "1", "--search-time", "2", "--concurrency", "1", "--store", str(store),
            "--run-dir", str(run_dir)]
    p = subprocess.Popen([SOAR, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    journal = run_dir / "work" / "iter-0.jsonl"
    deadline = time.time() + 240
    while time.time() < deadline and p.poll() is None:
        if journal.exists() and journal.read_text().count("\n") >= 3:
            break
        time.sleep(0.2)
    assert p.poll() is None, p.stderr.read().decode()[-2000:]
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    assert not (run_dir / "metrics.json").exists()

    again = subprocess.run([SOAR, *args], capture_output=True, text=True, timeout=60)
    assert again.returncode == 2 and "--resume" in again.stderr  # refuses to clobber the run

    done = subprocess.run([SOAR, *args, "--resume", "--json"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    metrics = json.loads(done.stdout)
    assert [r["iteration"] for r in metrics["iterations"]] == [0, 1]
    assert all(r["tasks"] == 4 for r in metrics["iterations"])
    ids = [json.loads(l)["id"] for l in (run_dir / "attempts.jsonl").read_text().splitlines()]
    assert len(ids) == len(set(ids)) == sum(r["attempts"] for r in metrics["iterations"])
    journal_ids = [json.loads(l)["id"] for l in journal.read_text().splitlines()]
    assert len(journal_ids) == len(set(journal_ids))


def test_search_budget_is_counted_in_programs_and_recorded(tmp_path):
    """`--search-budget` is validated, reaches the run, and is recorded in its config (so a
    resumed or reported run knows its budget). The search's own test checks the budget is kept."""
    bad = subprocess.run([SOAR, "run", "--search-budget", "0", "--run-dir", str(tmp_path / "x")],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--search-budget" in bad.stderr
    run_dir = tmp_path / "run"
    done = subprocess.run([SOAR, "run", "--suite", "arc1-train", "--task-ids", "3c9b0459", "--iterations", "1",
                           "--budget-sample", "2", "--budget-refine", "0", "--search-budget", "40",
                           "--concurrency", "1", "--store", str(tmp_path / "store"), "--run-dir", str(run_dir),
                           "--json"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads((run_dir / "config.json").read_text())["search"]["budget"] == 40


def test_development_runs_refuse_eval_suites(tmp_path):
    """`soar run` / `soar adapt` on an eval suite need --final, and --final takes the whole suite;
    nothing is searched or written before the refusal."""
    cases = [(["run", "--suite", "arc1-eval", "--limit", "5"], "held out for the final table"),
             (["adapt", "--suite", "arc2-eval"], "held out for the final table"),
             (["run", "--suite", "arc1-eval", "--final", "--limit", "40"], "drop --limit"),
             (["run", "--suite", "arc2-train"], "arc2-train:learn"),
             (["run", "--suite", "arc1-train:learn", "--final"], "--final is for the held-out eval suites")]
    for args, msg in cases:
        r = subprocess.run([SOAR, *args, "--run-dir", str(tmp_path / "run")], capture_output=True, text=True, timeout=60)
        assert r.returncode == 2 and msg in r.stderr, (args, r.stderr[-2000:])
        assert not (tmp_path / "run").exists()
