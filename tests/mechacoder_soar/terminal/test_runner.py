import hashlib
from pathlib import Path

from mechacoder_soar.terminal import builtin_suite_path, load_tb_task, run_trial, summarise_end_state

from .conftest import needs_bwrap

pytestmark = needs_bwrap


def test_tb1_reference_resolves_and_empty_does_not(tb1_task: Path, backend):
    t = load_tb_task(tb1_task)
    ref = run_trial(t, t.reference_script(), backend=backend)
    assert ref.resolved and ref.error is None, ref.test_output
    assert (ref.tests_passed, ref.tests_total) == (2, 2)
    assert ref.test_results == {"test_upper": "PASSED", "test_env_from_dockerfile": "PASSED"}
    assert ref.script_exit == 0
    # the stock runner's uv/pytest download was substituted, and said so
    assert "tb-local: 'uv add pytest==8.4.1' skipped" in ref.test_output
    empty = run_trial(t, "", backend=backend)
    assert not empty.resolved
    assert empty.test_results["test_upper"] == "FAILED"
    assert empty.test_results["test_env_from_dockerfile"] == "PASSED"


def test_tb2_reference_resolves_by_reward(tb2_task: Path, backend):
    t = load_tb_task(tb2_task)
    ref = run_trial(t, t.reference_script(), backend=backend, with_solution_files=True)
    assert ref.reward == 1.0 and ref.resolved, ref.test_output
    assert ref.test_results == {"test_count": "PASSED"}
    assert any("apt packages already present: coreutils" in s for s in ref.build_steps)
    wrong = run_trial(t, "echo 7 > /app/count.txt", backend=backend)
    assert wrong.reward == 0.0 and not wrong.resolved
    # the solution folder is mounted only for the reference
    peek = run_trial(t, "ls /solution", backend=backend)
    assert "files" not in peek.script_output and peek.script_exit != 0


def test_output_exit_status_and_end_state(tb1_task: Path, backend):
    t = load_tb_task(tb1_task)
    script = "echo made > new.txt\nrm in.txt\nchmod 600 new.txt\nfor i in $(seq 1 30); do echo line $i; done\nexit 3\n"
    r = run_trial(t, script, backend=backend)
    assert r.script_exit == 3
    assert "line 30" in r.script_output
    es = r.end_state
    assert es["workdir"] == "/app" and list(es["created"]) == ["new.txt"]
    assert es["created"]["new.txt"]["mode"] == "0600"
    assert es["created"]["new.txt"]["sha256"] == hashlib.sha256(b"made\n").hexdigest()
    assert es["deleted"] == ["in.txt"]
    assert es["stdout_tail"][-1] == "line 30" and len(es["stdout_tail"]) == 10
    text = summarise_end_state(es)
    assert text == summarise_end_state(dict(es))  # deterministic
    assert "Created:\n  - /app/new.txt (file, 5 bytes, mode 0600" in text and "Deleted:\n  - /app/in.txt" in text
    assert "wall" not in text


def test_time_limit_stops_the_attempt(tb1_task: Path, backend):
    t = load_tb_task(tb1_task)
    r = run_trial(t, "sleep 30\n", backend=backend, timeout_s=1)
    assert r.script_exit is None and not r.resolved
    assert r.wall_s < 20
    assert any("time limit" in n for n in r.notes)


def test_background_service_survives_into_the_tests(backend):
    t = load_tb_task(builtin_suite_path() / "http-kv-service")
    r = run_trial(t, t.reference_script(), backend=backend)
    assert r.resolved, r.test_output
    assert "kv server up" in r.script_output


def test_tests_are_not_visible_during_the_attempt(tb1_task: Path, backend):
    t = load_tb_task(tb1_task)
    r = run_trial(t, "ls -A /tests; echo count=$(ls -A /tests | wc -l); touch /tests/planted 2>&1 || echo ro\n",
                  backend=backend)
    assert "count=0" in r.script_output and "ro" in r.script_output
