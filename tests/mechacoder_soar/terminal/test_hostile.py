"""Hostile attempt scripts stay inside their sandbox."""
import os
import subprocess
import uuid
from pathlib import Path

import pytest

from mechacoder_soar.terminal import load_tb_task, run_trial

from .conftest import needs_bwrap

pytestmark = needs_bwrap


@pytest.fixture
def home_secret():
    p = Path.home() / f".tb-hostile-sentinel-{uuid.uuid4().hex[:8]}"
    secret = uuid.uuid4().hex
    p.write_text(secret)
    yield p, secret
    p.unlink(missing_ok=True)


def test_rm_rf_root_destroys_nothing_outside(tb1_task: Path, backend, home_secret):
    sentinel, secret = home_secret
    t = load_tb_task(tb1_task)
    r = run_trial(t, f"rm -rf --no-preserve-root / 2>/dev/null; rm -rf {sentinel} {tb1_task} /work 2>/dev/null; "
                     "echo still-here\n", backend=backend)
    assert "still-here" in r.script_output
    assert sentinel.read_text() == secret
    assert (tb1_task / "task.yaml").exists() and (tb1_task / "tests" / "test_outputs.py").exists()
    assert Path(__file__).exists()
    # the next trial of the same task starts from an intact build
    t2 = run_trial(t, t.reference_script(), backend=backend)
    assert t2.resolved


def test_host_home_and_work_trees_are_not_readable(tb1_task: Path, backend, home_secret):
    sentinel, secret = home_secret
    t = load_tb_task(tb1_task)
    script = (f"cat {sentinel}; ls -A ~ /root /home; ls {Path(__file__).parent}; cat ~/.bash_history; "
              f"grep -rl --exclude-dir=.pyenv --exclude-dir=.venv {secret} /root /home /work /tmp 2>/dev/null; echo done\n")
    r = run_trial(t, script, backend=backend)
    assert "done" in r.script_output
    assert secret not in r.script_output
    assert "test_hostile.py" not in r.script_output


def test_network_is_unreachable(tb1_task: Path, backend):
    t = load_tb_task(tb1_task)
    script = (
        "python3 - <<'PY'\n"
        "import socket\n"
        "for host in [('1.1.1.1', 53), ('8.8.8.8', 443)]:\n"
        "    try:\n"
        "        socket.create_connection(host, timeout=3); print('NET_OPEN', host)\n"
        "    except OSError as e:\n"
        "        print('NET_BLOCKED', type(e).__name__)\n"
        "PY\n"
        "curl -sS --max-time 3 https://pypi.org/simple/ >/dev/null 2>&1 && echo CURL_OPEN || echo CURL_BLOCKED\n"
    )
    r = run_trial(t, script, backend=backend)
    assert "NET_OPEN" not in r.script_output and r.script_output.count("NET_BLOCKED") == 2
    assert "CURL_BLOCKED" in r.script_output


def test_fork_bomb_is_capped_and_cleaned_up(tb1_task: Path, backend):
    t = load_tb_task(tb1_task)
    r = run_trial(t, "bomb() { bomb | bomb & }; bomb\nsleep 60\n", backend=backend, timeout_s=3)
    assert not r.resolved and r.script_exit is None
    assert r.wall_s < 60
    # the host can still start processes, and no sandboxed process outlived the trial
    assert subprocess.run(["true"]).returncode == 0
    leftover = subprocess.run(["pgrep", "-f", "bomb"], capture_output=True, text=True).stdout.split()
    assert [p for p in leftover if int(p) != os.getpid()] == []


def test_huge_file_is_capped(tb1_task: Path, backend):
    t = load_tb_task(tb1_task)
    r = run_trial(t, "head -c 400000000 /dev/zero > big.bin; echo rc=$?; ls -l big.bin\n", backend=backend)
    assert "rc=0" not in r.script_output  # RLIMIT_FSIZE (256 MiB) stopped it
