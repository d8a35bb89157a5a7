from pathlib import Path

import pytest
import yaml

from mechacoder_soar.terminal import TBTaskError, builtin_suite_path, load_tb_suite, load_tb_task
from mechacoder_soar.terminal.loader import keystrokes_to_script, load_solution_yaml


def test_tb1_fixture_loads(tb1_task: Path):
    t = load_tb_task(tb1_task)
    assert (t.id, t.format, t.difficulty, t.workdir) == ("upper-case", "tb1", "easy", "/app")
    assert t.agent_timeout_s == 30 and t.test_timeout_s == 30
    assert t.solution_path.name == "solution.sh" and t.test_script.name == "run-tests.sh"
    assert t.reference_script().startswith("tr a-z")


def test_tb1_defaults_are_terminal_bench_defaults(tb1_task: Path):
    (tb1_task / "task.yaml").write_text("instruction: do it\ndifficulty: hard\n")
    t = load_tb_task(tb1_task)
    assert (t.agent_timeout_s, t.test_timeout_s, t.parser_name, t.run_tests_in_same_shell) == (360, 60, "pytest", False)


def test_tb2_fixture_loads(tb2_task: Path):
    t = load_tb_task(tb2_task)
    assert (t.format, t.difficulty, t.agent_timeout_s, t.test_timeout_s) == ("tb2", "medium", 30, 30)
    assert t.instruction.startswith("Write the number of lines")
    assert t.build_context == tb2_task / "environment" and t.test_script.name == "test.sh"
    assert t.reference_script() == "bash /solution/solve.sh\n"


def test_to_task_leaks_no_tests_or_solution(tb1_task: Path):
    task = load_tb_task(tb1_task).to_task()
    assert task.kind == "terminal" and task.id == "upper-case"
    assert task.meta["path"] == str(tb1_task.resolve())
    dumped = task.model_dump_json()
    assert "test_upper" not in dumped and "tr a-z" not in dumped
    assert task.test_outputs is None


@pytest.mark.parametrize("body, field", [
    ("instruction: x\ndifficulty: impossible\n", "difficulty"),
    ("difficulty: easy\n", "instruction"),
    ("instruction: x\ndifficulty: easy\nmax_agent_timeout_sec: -5\n", "max_agent_timeout_sec"),
    ("instruction: x\ndifficulty: easy\ntags: 7\n", "tags"),
])
def test_malformed_task_yaml_names_file_and_field(tb1_task: Path, body: str, field: str):
    (tb1_task / "task.yaml").write_text(body)
    with pytest.raises(TBTaskError) as e:
        load_tb_task(tb1_task)
    msg = str(e.value)
    assert "task.yaml" in msg and f"field '{field}'" in msg


def test_unreadable_yaml_and_toml(tb1_task: Path, tb2_task: Path):
    (tb1_task / "task.yaml").write_text("instruction: [unclosed\n")
    with pytest.raises(TBTaskError, match="task.yaml: not valid YAML"):
        load_tb_task(tb1_task)
    (tb2_task / "task.toml").write_text("[agent\ntimeout_sec = 1\n")
    with pytest.raises(TBTaskError, match="task.toml: not valid TOML"):
        load_tb_task(tb2_task)


def test_malformed_task_toml_names_field(tb2_task: Path):
    (tb2_task / "task.toml").write_text('[agent]\ntimeout_sec = "soon"\n')
    with pytest.raises(TBTaskError, match=r"task.toml: field 'agent.timeout_sec'"):
        load_tb_task(tb2_task)


def test_missing_pieces_are_named(tb1_task: Path, tb2_task: Path):
    (tb1_task / "Dockerfile").unlink()
    with pytest.raises(TBTaskError, match="missing the Dockerfile"):
        load_tb_task(tb1_task)
    (tb2_task / "instruction.md").unlink()
    with pytest.raises(TBTaskError, match="missing the instruction"):
        load_tb_task(tb2_task)
    with pytest.raises(TBTaskError, match="neither task.yaml"):
        load_tb_task(tb1_task / "tests")


def test_bad_solution_yaml_fails_at_load(tb1_task: Path):
    (tb1_task / "solution.sh").unlink()
    (tb1_task / "solution.yaml").write_text("- command: [1, 2]\n")
    with pytest.raises(TBTaskError, match=r"solution.yaml\[0\]: field 'command'"):
        load_tb_task(tb1_task)
    (tb1_task / "solution.yaml").write_text("command: echo hi\n")   # one entry, not a list of them
    with pytest.raises(TBTaskError, match=r"solution.yaml: expected a list of \{command: ...\} entries, got dict"):
        load_tb_task(tb1_task)


def test_a_task_yaml_that_is_no_mapping_is_named(tb1_task: Path):
    (tb1_task / "task.yaml").write_text("- instruction: do it\n")
    with pytest.raises(TBTaskError, match="task.yaml: expected a mapping of fields, got list"):
        load_tb_task(tb1_task)


def test_keystrokes_replay_as_script_lines(tmp_path: Path):
    import subprocess

    p = tmp_path / "solution.yaml"
    p.write_text(yaml.safe_dump([
        {"command": "cat > out.txt <<'EOF'"}, {"command": "line one"}, {"command": "EOF"},
        {"command": "echo -n ", "append_enter": False}, {"command": "joined", "block": True},
        {"command": "cat out.txt"},
    ]))
    script = keystrokes_to_script(load_solution_yaml(p))
    out = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=30).stdout
    assert out == "joinedline one\n"


def test_builtin_suite_is_graded_and_complete():
    tasks = load_tb_suite(builtin_suite_path())
    assert len(tasks) >= 12
    assert {t.difficulty for t in tasks} == {"easy", "medium", "hard"}
    for t in tasks:
        assert t.format == "tb1" and t.solution_path is not None
        assert (t.tests_dir / "test_outputs.py").exists()
        assert t.agent_timeout_s <= 360


def test_suite_of_one_and_empty_folder(tb1_task: Path, tmp_path: Path):
    assert [t.id for t in load_tb_suite(tb1_task)] == ["upper-case"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(TBTaskError, match="no task folders"):
        load_tb_suite(tmp_path / "empty")


def test_builtin_names_the_shipped_suite(tmp_path: Path, monkeypatch):
    from mechacoder_soar.suites import load_tasks
    from mechacoder_soar.terminal import builtin_suite_path, load_tb_suite

    shipped = [t.id for t in load_tb_suite(builtin_suite_path())]
    assert len(shipped) >= 10
    assert [t.id for t in load_tasks("tb:builtin")] == shipped
    # a real folder called `builtin` in the working directory wins: the name is only a fallback
    monkeypatch.chdir(tmp_path)
    (tmp_path / "builtin").mkdir()
    with pytest.raises(Exception, match="no task folders"):
        load_tb_suite("builtin")
