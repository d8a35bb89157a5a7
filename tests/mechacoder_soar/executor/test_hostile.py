"""Hostile programs: each is contained, reported as an error with its reason, and the pool keeps
serving (a known-good program after each must still be right)."""
from __future__ import annotations

import os
import socket
import threading
import uuid
from pathlib import Path

import pytest

GRID = [[1, 2], [3, 4]]
GOOD = "def transform(g):\n    return [r[::-1] for r in g]\n"
GOOD_OUT = [[2, 1], [4, 3]]


def text(r) -> str:
    return " ".join([r.error or ""] + [e or "" for e in r.errors])


def run_with_canary(ex, code, n_inputs=1):
    """Run the hostile program between two good ones in one batch; return its result."""
    res = ex.run_batch([(GOOD, [GRID]), (code, [GRID] * n_inputs), (GOOD, [GRID])])
    assert res[0].outputs == [GOOD_OUT], res[0]
    assert res[2].outputs == [GOOD_OUT], f"pool did not keep serving: {res[2]}"
    assert all(o is None for o in res[1].outputs), res[1]
    return res[1]


def test_infinite_loop(ex):
    r = run_with_canary(ex, "def transform(g):\n    while True:\n        pass\n")
    assert r.error_kind == "timeout"


def test_loop_that_swallows_the_alarm_is_killed(ex):
    code = "def transform(g):\n    while True:\n        try:\n            while True: pass\n        except BaseException:\n            pass\n"
    r = run_with_canary(ex, code)
    assert r.error_kind == "timeout"


def test_loop_with_alarm_blocked_is_killed_by_watchdog(ex):
    code = ("import signal\ndef transform(g):\n    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])\n"
            "    while True:\n        pass\n")
    r = run_with_canary(ex, code)
    assert r.error_kind == "timeout" and "killed" in r.error


def test_sleep_ignoring_sigalrm_is_killed(ex):
    code = "import signal, time\ndef transform(g):\n    signal.signal(signal.SIGALRM, signal.SIG_IGN)\n    time.sleep(60)\n"
    r = run_with_canary(ex, code)
    assert r.error_kind == "timeout"


def test_memory_bomb(ex):
    # untouched allocations: hits the address-space limit at once
    code = "import numpy as np\ndef transform(g):\n    x = []\n    while True:\n        x.append(np.empty(50 * 2**20, np.uint8))\n"
    r = run_with_canary(ex, code)
    assert r.error_kind == "memory"
    r = run_with_canary(ex, "def transform(g):\n    return [0] * (10 ** 10)\n")
    assert r.error_kind == "memory"


def test_memory_bomb_touching_pages(ex):
    # page faults are slow on some hosts: the limit or the clock stops it, whichever comes first
    code = "def transform(g):\n    x = []\n    while True:\n        x.append(bytearray(50 * 2**20))\n"
    r = run_with_canary(ex, code)
    assert r.error_kind in ("memory", "timeout")


def test_numpy_memory_bomb(ex):
    r = run_with_canary(ex, "import numpy as np\ndef transform(g):\n    return np.ones((100000, 100000))\n")
    assert r.error_kind == "memory"


def test_fork_bomb(ex):
    r = run_with_canary(ex, "import os\ndef transform(g):\n    while True:\n        os.fork()\n")
    assert "forbidden" in text(r) and "PermissionError" in text(r)


def test_subprocess_is_forbidden(ex):
    r = run_with_canary(ex, "import subprocess\ndef transform(g):\n    subprocess.run(['/bin/true'])\n    return g\n")
    assert "forbidden" in text(r) or "Error" in text(r)


def test_network_connection_to_local_listener(ex):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    srv.settimeout(3.0)
    port = srv.getsockname()[1]
    got = []

    def accept():
        try:
            c, _ = srv.accept()
            got.append(c)
        except OSError:
            pass

    th = threading.Thread(target=accept)
    th.start()
    try:
        code = (f"import socket\ndef transform(g):\n    s = socket.create_connection(('127.0.0.1', {port}), timeout=0.5)\n"
                "    s.sendall(b'leak')\n    return g\n")
        r = run_with_canary(ex, code)
        assert "forbidden" in text(r)
    finally:
        srv.close()
        th.join()
    assert not got, "the sandboxed program reached the listener"


def test_write_outside_scratch(ex, tmp_path):
    target = tmp_path / "pwned.txt"
    repo_target = Path(__file__).resolve().parents[3] / f"pwned-{uuid.uuid4().hex}.txt"
    code = (f"def transform(g):\n    open({str(target)!r}, 'w').write('x')\n    return g\n")
    r = run_with_canary(ex, code)
    assert r.errors[0] and "Error" in r.errors[0]
    code2 = f"def transform(g):\n    open({str(repo_target)!r}, 'w').write('x')\n    return g\n"
    run_with_canary(ex, code2)
    assert not target.exists() and not repo_target.exists()


def test_scratch_writes_do_not_reach_the_next_program(ex1):
    w = "def transform(g):\n    open('note.txt', 'w').write('7')\n    return g\n"
    r_ = "import os\ndef transform(g):\n    return [[int(open('note.txt').read())]] if os.path.exists('note.txt') else [[0]]\n"
    res = ex1.run_batch([(w, [GRID]), (r_, [GRID])])
    assert res[0].outputs == [GRID]
    assert res[1].outputs == [[[0]]], res[1]


def test_secrets_in_env_and_home_are_invisible(monkeypatch):
    from mechacoder_soar.executor import ExecConfig, Executor

    secret = "s3cr3t-" + uuid.uuid4().hex
    monkeypatch.setenv("SOAR_TEST_SECRET", secret)
    home_file = Path.home() / f".soar-test-secret-{uuid.uuid4().hex}"
    home_file.write_text(secret)
    try:
        code = (
            "import os\n"
            "def transform(g):\n"
            "    out = {'env': os.environ.get('SOAR_TEST_SECRET'), 'envkeys': sorted(os.environ)}\n"
            f"    try:\n        out['file'] = open({str(home_file)!r}).read()\n"
            "    except Exception as e:\n        out['file'] = type(e).__name__\n"
            "    return out\n"
        )
        # a fresh executor: the env var exists in the parent when the sandbox starts
        with Executor(ExecConfig(workers=1, timeout_s=2.0, validate="json")) as e:
            (r,) = e.run_batch([(code, [None])])
        assert r.outputs[0] is not None, r
        assert r.outputs[0]["env"] is None
        assert "SOAR_TEST_SECRET" not in r.outputs[0]["envkeys"]
        assert r.outputs[0]["file"] in ("FileNotFoundError", "PermissionError")
        assert secret not in repr(r)
    finally:
        home_file.unlink()


def test_kill_parent_and_zygote(ex):
    pid = os.getpid()
    for target in ("os.getppid()", str(pid), "0", "-1"):
        r = run_with_canary(ex, f"import os, signal\ndef transform(g):\n    os.kill({target}, signal.SIGKILL)\n    return g\n")
        assert "forbidden" in text(r), (target, r)
    assert os.getpid() == pid  # we are still here


def test_os_exit(ex):
    r = run_with_canary(ex, "import os\ndef transform(g):\n    os._exit(0)\n")
    assert r.error_kind == "crash" and "exit" in r.error


def test_sys_exit_is_an_error_not_an_exit(ex):
    r = run_with_canary(ex, "import sys\ndef transform(g):\n    sys.exit(0)\n")
    assert "SystemExit" in text(r)


def test_deep_recursion(ex):
    r = run_with_canary(ex, "def transform(g):\n    return transform(g)\n")
    assert "RecursionError" in text(r)


def test_deep_recursion_with_raised_limit_crashes_contained(ex):
    code = "import sys\nsys.setrecursionlimit(10**7)\ndef f(n):\n    return f(n + 1) + 1\ndef transform(g):\n    return f(0)\n"
    r = run_with_canary(ex, code)
    # CPython 3.11 recurses on the heap: this ends as a C-stack crash, memory or the timeout
    assert r.error_kind in ("crash", "memory", "timeout") or "RecursionError" in text(r) or "MemoryError" in text(r)


def test_ctypes_segfault(ex):
    r = run_with_canary(ex, "import ctypes\ndef transform(g):\n    return ctypes.string_at(1, 16)\n")
    assert r.error_kind == "crash" and "SIGSEGV" in r.error


def test_megabytes_of_stdout(ex):
    code = ("import os, sys\ndef transform(g):\n    for _ in range(200):\n        print('x' * 50000)\n"
            "    sys.stderr.write('y' * 10**6)\n    os.write(1, b'z' * 10**6)\n    return g\n")
    res = ex.run_batch([(code, [GRID]), (GOOD, [GRID])])
    assert res[0].outputs == [GRID], res[0]
    assert res[1].outputs == [GOOD_OUT]


def test_monkeypatching_builtins_and_numpy_does_not_leak(ex1):
    evil = (
        "import builtins\nimport numpy as np\n"
        "builtins.len = lambda x: 42\nbuiltins.sorted = None\nnp.array = None\nnp.fliplr = lambda a: a\n"
        "__builtins__['max'] = min\n"
        "def transform(g):\n    return g\n"
    )
    victim = (
        "import numpy as np\n"
        "def transform(g):\n    a = np.fliplr(np.array(g))\n    assert len(g) == 2 and max(1, 2) == 2\n"
        "    return sorted(a.tolist())\n"
    )
    res = ex1.run_batch([(evil, [GRID]), (victim, [GRID]), (victim, [GRID])])
    assert res[0].outputs == [GRID]
    assert res[1].outputs == [[[2, 1], [4, 3]]], res[1]
    assert res[2].outputs == [[[2, 1], [4, 3]]], res[2]


def test_module_globals_are_fresh_per_program(ex1):
    a = "counter = 41\ndef transform(g):\n    global counter\n    counter += 1\n    return [[counter % 10]]\n"
    b = "def transform(g):\n    return [[1 if 'counter' in globals() else 0]]\n"
    res = ex1.run_batch([(a, [GRID]), (a, [GRID]), (b, [GRID])])
    assert [r.outputs for r in res] == [[[[2]]], [[[2]]], [[[0]]]]


def test_leftover_thread_does_not_reach_the_next_program(ex1):
    evil = ("import threading, time, builtins\n"
            "def later():\n    time.sleep(0.05)\n    builtins.abs = lambda x: 7\n"
            "threading.Thread(target=later, daemon=True).start()\n"
            "def transform(g):\n    return g\n")
    victim = "import time\ndef transform(g):\n    time.sleep(0.1)\n    return [[abs(-3)]]\n"
    res = ex1.run_batch([(evil, [GRID]), (victim, [GRID])])
    assert res[1].outputs == [[[3]]], res[1]


def test_project_and_store_not_importable(ex):
    for mod in ("skills_store", "mechacoder_soar", "torch"):
        r = run_with_canary(ex, f"import {mod}\ndef transform(g):\n    return g\n")
        assert "ModuleNotFoundError" in text(r), (mod, r)
    repo_file = Path(__file__).resolve().parents[3] / "pyproject.toml"
    r = run_with_canary(ex, f"def transform(g):\n    return [[len(open({str(repo_file)!r}).read()) % 10]]\n")
    assert "FileNotFoundError" in text(r) or "forbidden" in text(r)


def test_many_hostile_programs_in_one_batch_keep_order(ex):
    hostile = [
        "def transform(g):\n    while True: pass\n",
        "import os\ndef transform(g):\n    os._exit(1)\n",
        "import ctypes\ndef transform(g):\n    ctypes.string_at(1, 8)\n",
        "def transform(g):\n    return transform(g)\n",
    ]
    jobs = []
    for i in range(24):
        jobs.append((GOOD, [GRID]) if i % 3 else (hostile[(i // 3) % 4], [GRID]))
    res = ex.run_batch(jobs)
    for i, r in enumerate(res):
        if i % 3:
            assert r.outputs == [GOOD_OUT], (i, r)
        else:
            assert r.outputs == [None] and (r.error or r.errors[0]), (i, r)
