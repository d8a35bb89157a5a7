import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mechacoder_soar.terminal.pytest_parser import SummaryNotFound, is_resolved, parse_pytest_summary


@pytest.fixture(scope="module")
def real_rA_output(tmp_path_factory) -> str:
    """A real `pytest -rA` run with every outcome pytest reports."""
    d = tmp_path_factory.mktemp("rA")
    (d / "test_mix.py").write_text(textwrap.dedent("""\
        import pytest

        def test_ok():
            assert True

        def test_bad():
            assert 1 == 2, "one - two"

        @pytest.mark.skip(reason="no")
        def test_skipped():
            pass

        @pytest.mark.xfail
        def test_expected_failure():
            assert False

        @pytest.mark.xfail(strict=False)
        def test_unexpected_pass():
            assert True

        @pytest.fixture
        def broken():
            raise RuntimeError("fixture broke")

        def test_error(broken):
            pass

        @pytest.mark.parametrize("x", [1, 2])
        def test_param(x):
            assert x == 1
        """))
    r = subprocess.run([sys.executable, "-m", "pytest", "-rA", "-p", "no:cacheprovider", str(d / "test_mix.py")],
                       capture_output=True, text=True, cwd=d,
                       env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTEST_ADDOPTS": ""})
    assert "short test summary info" in r.stdout
    return r.stdout


def test_real_summary_statuses_as_terminal_bench(real_rA_output: str):
    got = parse_pytest_summary(real_rA_output)
    skipped = [k for k in got if k.startswith("[1] ")]
    assert len(skipped) == 1 and got.pop(skipped[0]) == "PASSED"  # Terminal-Bench: SKIPPED counts as passed
    assert got == {
        "test_ok": "PASSED",
        "test_bad": "FAILED",
        "test_expected_failure": "PASSED",  # XFAIL too
        "test_unexpected_pass": "FAILED",  # XPASS fails
        "test_error": "FAILED",
        "test_param[1]": "PASSED",
        "test_param[2]": "FAILED",
    }
    assert not is_resolved(got)


def test_all_passed_resolves():
    out = textwrap.dedent("""\
        ...
        =========================== short test summary info ============================
        PASSED ../tests/test_outputs.py::test_a
        PASSED ../tests/test_outputs.py::test_b
        ============================== 2 passed in 0.04s ===============================
        """)
    assert is_resolved(parse_pytest_summary(out))


def test_failure_reason_with_dash_is_stripped():
    out = "==== short test summary info ====\nFAILED t.py::test_x - AssertionError: a - b\n"
    assert parse_pytest_summary(out) == {"test_x": "FAILED"}


def test_no_summary_is_a_parse_error_and_empty_is_not_resolved():
    with pytest.raises(SummaryNotFound):
        parse_pytest_summary("collected 0 items\n\n==== no tests ran in 0.01s ====\n")
    assert not is_resolved({})
    assert not is_resolved(None)
