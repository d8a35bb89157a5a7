"""Ordinary behaviour of the pool: outputs, validation, errors per input, concurrency, fallback."""
from __future__ import annotations

import logging
import threading

import pytest

from mechacoder_soar.executor import ExecConfig, Executor, SandboxUnavailable
from mechacoder_soar.executor import sandbox as sandbox_mod
from mechacoder_soar.executor.worker import guard
from mechacoder_soar.executor.worker.screen import screen

G = [[1, 2], [3, 4]]


def test_isolation_is_bubblewrap_here(ex):
    # bubblewrap is installed on this project's machines; the pool must actually use it
    assert ex.isolation == "bubblewrap"
    assert ex.seccomp is True


def test_outputs_numpy_conversion_and_order(ex):
    jobs = [
        ("import numpy as np\ndef transform(g):\n    return np.rot90(np.array(g))\n", [G, [[5]]]),
        ("def transform(g):\n    return g[::-1]\n", [G]),
        ("def transform(g):\n    return [list(map(int, r)) for r in g]\n", [G]),
    ] * 20
    res = ex.run_batch(jobs)
    assert len(res) == 60
    for k in range(0, 60, 3):
        assert res[k].outputs == [[[2, 4], [1, 3]], [[5]]]
        assert res[k + 1].outputs == [[[3, 4], [1, 2]]]
        assert res[k + 2].outputs == [G]
        assert all(r.ok for r in res[k:k + 3])


@pytest.mark.parametrize(
    "body,why",
    [
        ("return [[10]]", "0-9"),
        ("return [[1, 2], [3]]", "rectangular"),
        ("return []", "non-empty"),
        ("return [[0] * 31]", "columns"),
        ("return [[0]] * 31", "rows"),
        ("return [[1.5]]", "1.5"),
        ("return 'abc'", "dimensions"),
        ("return None", "None"),
    ],
)
def test_arc_validation_rejects(ex, body, why):
    (r,) = ex.run_batch([(f"def transform(g):\n    {body}\n", [G])])
    assert r.outputs == [None]
    assert r.errors[0] and r.errors[0].startswith("invalid output") and why in r.errors[0], r.errors[0]


def test_per_input_errors_do_not_hide_other_outputs(ex):
    code = "def transform(g):\n    if len(g) == 1:\n        raise ValueError('one row')\n    return g\n"
    (r,) = ex.run_batch([(code, [G, [[3]], G])])
    assert r.outputs == [G, None, G]
    assert r.errors[0] is None and "ValueError: one row" in r.errors[1]
    assert r.error is None and not r.ok


@pytest.mark.parametrize(
    "code,kind",
    [
        ("def transform(g)\n    return g\n", "syntax"),
        ("x = 1\n", "missing_transform"),
        ("transform = 3\n", "missing_transform"),
        ("raise RuntimeError('at import')\ndef transform(g):\n    return g\n", "exception"),
    ],
)
def test_program_level_errors(ex, code, kind):
    (r,) = ex.run_batch([(code, [G, G])])
    assert r.error_kind == kind and r.error and r.outputs == [None, None]


def test_input_is_copied_per_call(ex1):
    code = "def transform(g):\n    g[0][0] = 9\n    return g\n"
    (r,) = ex1.run_batch([(code, [G, G])])
    assert r.outputs == [[[9, 2], [3, 4]]] * 2
    assert G == [[1, 2], [3, 4]]


def test_json_mode_returns_any_jsonable(exj):
    code = "import numpy as np\ndef transform(x):\n    return {'sum': int(np.sum(x['a'])), 'arr': np.arange(3), 's': 'hi'}\n"
    bad = "def transform(x):\n    return object()\n"
    r1, r2 = exj.run_batch([(code, [{"a": [1, 2, 3]}]), (bad, [1])])
    assert r1.outputs == [{"sum": 6, "arr": [0, 1, 2], "s": "hi"}]
    assert r2.outputs == [None] and "JSON" in r2.errors[0]


def test_concurrent_run_batch_is_thread_safe(ex):
    code = "def transform(g):\n    return [[g[0][0]]]\n"
    out: dict[int, list] = {}

    def go(t):
        out[t] = ex.run_batch([(code, [[[t % 10]]]) for _ in range(30)])

    ths = [threading.Thread(target=go, args=(t,)) for t in range(4)]
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    for t in range(4):
        assert all(r.outputs == [[[t % 10]]] for r in out[t])


def test_empty_batch_and_bad_jobs(ex):
    assert ex.run_batch([]) == []
    with pytest.raises(TypeError, match="job 0"):
        ex.run_batch([(b"bytes", [G])])


def test_config_validation_names_the_field():
    with pytest.raises(ValueError, match="timeout_s"):
        ExecConfig(timeout_s=0)
    with pytest.raises(ValueError, match="validate"):
        ExecConfig(validate="xml")  # type: ignore[arg-type]


def test_missing_bubblewrap_falls_back_loudly(monkeypatch, caplog):
    monkeypatch.setattr(sandbox_mod, "bwrap_path", lambda: None)
    with pytest.raises(SandboxUnavailable, match="not installed"):
        with Executor(ExecConfig(workers=1, sandbox="bubblewrap")) as e:
            e.run_batch([("def transform(g):\n    return g\n", [G])])
    caplog.set_level(logging.WARNING)
    with Executor(ExecConfig(workers=1, sandbox="auto", timeout_s=1.0)) as e:
        res = e.run_batch([
            ("def transform(g):\n    return g[::-1]\n", [G]),
            ("import os\ndef transform(g):\n    os.fork()\n", [G]),
            ("import skills_store\ndef transform(g):\n    return g\n", [G]),
        ])
        assert e.isolation == "rlimits-only"
    assert res[0].outputs == [[[3, 4], [1, 2]]]
    assert "forbidden" in (res[1].errors[0] or "")  # seccomp still applies without bubblewrap
    assert "ModuleNotFoundError" in (res[2].error or "")
    assert any("SANDBOX DEGRADED" in r.message for r in caplog.records)


def test_screen_flags_risky_programs():
    assert screen("import numpy as np\nfrom collections import Counter\ndef transform(g):\n    return np.array(g)\n") is None
    assert screen("class A:\n    def __init__(self):\n        self.x = 1\n") is None
    for code in [
        "import os", "import ctypes", "from sys import modules", "x = ().__class__",
        "setattr(a, 'b', 1)", "import numpy as np\nnp.array = None", "import numpy as np\nnp.random.x += 1",
        "from collections import Counter\nCounter.most_common = 1", "np.save('x', a)", "open('f')",
    ]:
        assert screen(code) is not None, code


def test_guard_detects_module_and_state_changes(tmp_path, monkeypatch):
    import os

    import numpy as np

    monkeypatch.chdir(tmp_path)
    guard.DictWatch.tags_ok = guard.probe_dict_tags()
    g = guard.Guard(str(tmp_path))
    assert g.check() is None
    orig = np.fliplr
    try:
        np.fliplr = lambda a: a
        assert "fliplr" in (g.check() or "")
    finally:
        np.fliplr = orig
    g = guard.Guard(str(tmp_path))
    (tmp_path / "f").write_text("x")
    assert "scratch" in (g.check() or "")
    os.unlink(tmp_path / "f")
    assert g.check() is None
