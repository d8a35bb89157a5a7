"""Upstream Terminal-Bench layouts the Docker-free backend must reproduce: the base image's WORKDIR,
BuildKit heredocs, writes into system directories, apt packages the host lacks, and tasks it
cannot run reported with their reason (never as failed solutions, never aborting the suite)."""
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mechacoder_soar.cli import app
from mechacoder_soar.terminal import TBTaskError, load_tb_suite, load_tb_task, run_trial
from mechacoder_soar.terminal.apt_layer import AptError, AptLayer, host_has_package
from mechacoder_soar.terminal.check import check_task
from mechacoder_soar.terminal.dockerfile import DockerfileError, parse_dockerfile
from mechacoder_soar.terminal.loader import scan_tb_suite
from mechacoder_soar.terminal.local_backend import LocalBackend
from mechacoder_soar.terminal.support import static_reason

from .conftest import STOCK_RUN_TESTS, needs_bwrap, write

FIXTURES = Path(__file__).parent / "fixtures" / "fidelity"
runner = CliRunner()


def test_buildkit_heredocs_are_parsed():
    text = ("FROM x\nCOPY <<EOT /etc/a.conf\nk = $V\nEOT\nRUN <<'EOF'\nfor i in 1 2; do\n  echo $i\ndone\nEOF\n"
            "RUN cat <<-EOF > /app/t && echo done\n\tindented\n\tEOF\nRUN echo a <<<word\nWORKDIR /app\n")
    ins = parse_dockerfile(text)
    assert [i.keyword for i in ins] == ["FROM", "COPY", "RUN", "RUN", "RUN", "WORKDIR"]
    copy, script, wrapped, herestring = ins[1], ins[2], ins[3], ins[4]
    assert copy.heredoc("<<EOT").body == "k = $V\n" and copy.heredoc("<<EOT").expand
    assert script.shell_script() == "for i in 1 2; do\n  echo $i\ndone\n" and not script.heredocs[0].expand
    assert wrapped.shell_script() == "cat <<-EOF > /app/t && echo done\nindented\nEOF\n"
    assert herestring.heredocs == () and ins[5].lineno == 14
    with pytest.raises(DockerfileError, match=r"Dockerfile:2: heredoc <<EOT is never closed"):
        parse_dockerfile("FROM x\nCOPY <<EOT /a\nno end\n")


def test_static_reasons_name_what_is_missing(tmp_path: Path):
    base = {"task.yaml": "instruction: x\ndifficulty: easy\n", "run-tests.sh": "true\n", "tests/test_outputs.py": ""}
    vm = write(tmp_path / "vm", {**base, "Dockerfile": "FROM ubuntu\nRUN apt-get install -y qemu-system-x86\n"})
    gpu = write(tmp_path / "gpu", {**base, "Dockerfile": "FROM nvidia/cuda:12.1.0-runtime-ubuntu22.04\n"})
    priv = write(tmp_path / "priv", {**base, "Dockerfile": "FROM ubuntu\n",
                                     "docker-compose.yaml": "services:\n  client:\n    privileged: true\n"})
    plain = write(tmp_path / "plain", {**base, "Dockerfile": "FROM ubuntu\n",
                                       "docker-compose.yaml": "services:\n  client:\n    image: x\n"})
    assert static_reason(load_tb_task(vm)).startswith("needs a VM (qemu-system")
    assert static_reason(load_tb_task(gpu)).startswith("needs a GPU")
    assert static_reason(load_tb_task(priv)).startswith("needs a VM or privileged container")
    assert static_reason(load_tb_task(plain)) is None
    py = write(tmp_path / "py", {**base, "Dockerfile": "FROM x\nRUN rm -rf /usr/local/lib/python3.13/site-packages/pip\n"})
    assert "changes the image's own Python installation" in static_reason(load_tb_task(py))
    assert static_reason(load_tb_task(FIXTURES / "needs-service")) == \
        "needs a service container besides its own: db (docker-compose.yaml)"


def test_tb1_dockerfile_named_by_docker_compose(tmp_path: Path):
    """Some TB1 tasks build their client from a subfolder (`build: {context: client}`)."""
    root = write(tmp_path / "ctx", {
        "task.yaml": "instruction: x\ndifficulty: easy\n", "tests/test_outputs.py": "",
        "docker-compose.yaml": "services:\n  client:\n    build:\n      context: client\n      dockerfile: Dockerfile\n",
        "client/Dockerfile": "FROM ghcr.io/laude-institute/t-bench/python-3-13:20250620\nWORKDIR /srv/x\n",
    })
    t = load_tb_task(root)
    assert t.dockerfile == (root / "client" / "Dockerfile").resolve() and t.build_context == (root / "client").resolve()
    assert t.workdir == "/srv/x" and static_reason(t) is None
    (root / "docker-compose.yaml").write_text("services:\n  client:\n    build:\n      context: ../../elsewhere\n")
    with pytest.raises(TBTaskError, match="outside the task folder"):
        load_tb_task(root)


def test_one_unreadable_task_does_not_sink_the_suite(tmp_path: Path):
    shutil.copytree(FIXTURES / "base-workdir-copy", tmp_path / "good")
    write(tmp_path / "bad", {"task.yaml": "instruction: x\ndifficulty: trivial\n", "Dockerfile": "FROM x\n"})
    tasks, skipped = scan_tb_suite(tmp_path)
    assert [t.id for t in tasks] == ["good"]
    assert [s.id for s in skipped] == ["bad"] and "task.yaml: field 'difficulty'" in skipped[0].reason
    assert [t.id for t in load_tb_suite(tmp_path)] == ["good"]


@needs_bwrap
def test_check_reports_each_class_and_never_aborts(tmp_path: Path):
    """The CLI over a suite mixing every class: the runnable ones resolve, the rest are reported
    unsupported with their reason, every empty attempt fails, and the exit status is 0."""
    for name in ("base-workdir-copy", "heredoc-build", "needs-service"):
        shutil.copytree(FIXTURES / name, tmp_path / name)
    write(tmp_path / "bad-yaml", {"task.yaml": "instruction: [unclosed\n", "Dockerfile": "FROM x\n"})
    write(tmp_path / "bad-heredoc", {"task.yaml": "instruction: x\ndifficulty: easy\n", "run-tests.sh": "true\n",
                                     "Dockerfile": "FROM x\nRUN <<EOF\necho never closed\n", "tests/t.py": ""})
    write(tmp_path / "wants-network", {
        "task.yaml": "instruction: Fetch https://example.com into /app/page.html.\ndifficulty: easy\n"
                     "max_agent_timeout_sec: 30\nmax_test_timeout_sec: 30\n",
        "Dockerfile": "FROM ghcr.io/laude-institute/t-bench/python-3-13:20250620\n",
        "run-tests.sh": STOCK_RUN_TESTS,
        "solution.sh": "curl -sSf --max-time 5 https://example.com -o /app/page.html\n",
        "tests/test_outputs.py": "from pathlib import Path\n\ndef test_page():\n"
                                 "    assert 'Example' in Path('/app/page.html').read_text()\n",
    })
    r = runner.invoke(app, ["tb", "check", str(tmp_path), "--json", "--backend", "local"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    rows = {row["task_id"]: row for row in doc["tasks"]}
    assert doc["counts"] == {"ok": 2, "failed": 0, "unsupported": 4}, rows
    assert rows["base-workdir-copy"]["status"] == "ok" and rows["heredoc-build"]["status"] == "ok"
    assert rows["base-workdir-copy"]["unhonoured_steps"] == [] and rows["heredoc-build"]["unhonoured_steps"] == []
    assert "service container besides its own: db" in rows["needs-service"]["unsupported"]
    assert "task.yaml: not valid YAML" in rows["bad-yaml"]["unsupported"]
    assert "heredoc <<EOF is never closed" in rows["bad-heredoc"]["unsupported"]
    assert rows["wants-network"]["unsupported"].startswith("needs network: curl")
    assert not any(row["empty_resolved"] for row in rows.values())
    assert rows["wants-network"]["ran"] and not rows["needs-service"]["ran"]  # refused up front, nothing run


@needs_bwrap
def test_system_dir_writes_stay_in_the_trial(backend):
    """The reference edits /etc (a layer of the task's); the next trial starts from the build."""
    t = load_tb_task(FIXTURES / "heredoc-build")
    first = run_trial(t, t.reference_script(), backend=backend)
    assert first.resolved, first.test_output
    second = run_trial(t, "cat /etc/greeter/config.json; echo x > /usr/local/bin/planted\n"
                          "echo 'print(\"uv-ran-\" + \"py\")' > s.py && uv run s.py\n", backend=backend)
    assert '"name": "world"' in second.script_output and not second.resolved
    assert "uv-ran-py" in second.script_output  # `uv run script.py` runs it with python, as uv does
    assert not Path("/etc/greeter").exists() and not Path("/usr/local/bin/planted").exists()


def _mirror_or_skip(layer: AptLayer) -> None:
    if host_has_package("figlet"):
        pytest.skip("the host has figlet installed: the fixture would not exercise fetching")
    try:
        layer.plan(["figlet"])
    except AptError as e:
        pytest.skip(f"the Debian mirror cannot be reached from here: {e}")


@needs_bwrap
def test_apt_package_the_host_lacks_is_fetched_into_a_layer(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("SOAR_CACHE_DIR", str(tmp_path / "cache"))
    _mirror_or_skip(AptLayer())
    t = load_tb_task(FIXTURES / "apt-missing-tool")
    with LocalBackend() as b:
        row = check_task(t, b)
        assert row.status == "ok", (row.error, row.unsupported, row.unhonoured_steps)
        assert not row.empty_resolved
        res = run_trial(t, "apt-get update && apt-get install -y figlet && echo figlet-ok\n"
                           "apt-get install -y cowsay; echo cowsay-rc=$?\n"
                           "rm -f /usr/bin/figlet-figlet; figlet gone || echo figlet-removed\n", backend=b)
        assert "figlet-ok" in res.script_output and "cowsay-rc=100" in res.script_output, res.script_output
        assert "no network to install cowsay" in res.script_output
        assert "figlet-removed" in res.script_output
        again = run_trial(t, t.reference_script(), backend=b)
        assert again.resolved, again.test_output  # the removal stayed in that trial's own layer
        assert any("apt packages fetched and layered: figlet" in s for s in again.build_steps)
    roots = list((tmp_path / "cache" / "apt" / "roots").glob("figlet_*"))
    assert len(roots) == 1 and (roots[0] / "usr" / "bin" / "figlet-figlet").is_file()
    assert not host_has_package("figlet") and shutil.which("figlet") is None
