import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mechacoder_soar.cli import app
from mechacoder_soar.terminal import builtin_suite_path

from .conftest import needs_bwrap

runner = CliRunner()
pytestmark = needs_bwrap


@pytest.mark.slow
def test_check_whole_shipped_suite():
    r = runner.invoke(app, ["tb", "check", str(builtin_suite_path()), "--json", "--backend", "local"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["ok"] and doc["backend"] == "local" and len(doc["tasks"]) >= 12
    for row in doc["tasks"]:
        assert row["reference_resolved"] and not row["empty_resolved"], row
        assert row["unhonoured_steps"] == [], row


def test_check_one_task_table(tb1_task: Path):
    r = runner.invoke(app, ["tb", "check", str(tb1_task.parent), "--task", "upper-case", "--backend", "local"])
    assert r.exit_code == 0, r.output
    assert "upper-case" in r.output and "ok" in r.output


def test_check_fails_when_tests_check_nothing(tb1_task: Path):
    (tb1_task / "tests" / "test_outputs.py").write_text("def test_nothing():\n    assert True\n")
    r = runner.invoke(app, ["tb", "check", str(tb1_task), "--json", "--backend", "local"])
    assert r.exit_code == 1
    row = json.loads(r.output)["tasks"][0]
    assert row["empty_resolved"] and "empty attempt resolves" in row["error"]


def test_check_reports_malformed_task(tb1_task: Path):
    (tb1_task / "task.yaml").write_text("instruction: x\ndifficulty: trivial\n")
    r = runner.invoke(app, ["tb", "check", str(tb1_task)])
    assert r.exit_code == 2 and "task.yaml: field 'difficulty'" in r.output


def test_run_script(tb1_task: Path, tmp_path: Path):
    s = tmp_path / "attempt.sh"
    s.write_text("tr a-z A-Z < in.txt > out.txt\necho done\n")
    r = runner.invoke(app, ["tb", "run", str(tb1_task), str(s), "--json", "--backend", "local"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["resolved"] and doc["script_output"].strip() == "done"
    s.write_text("true\n")
    r = runner.invoke(app, ["tb", "run", str(tb1_task), str(s), "--backend", "local"])
    assert r.exit_code == 1 and "not resolved" in r.output and "FAILED test_upper" in r.output
