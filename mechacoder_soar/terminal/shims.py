"""Stand-ins placed first on PATH inside the sandbox, so stock Terminal-Bench test runners work
offline: they `curl` the uv installer, `uv add pytest`, then `uv run pytest ...`. Here `python3`
and `pytest` are the local interpreter with pytest, `uv`/`uvx` run the command they wrap (a `.py`
script with python3) and skip installs (saying so on stderr), `apt-get`/`apt` succeed for packages
the image has and fail clearly for others, and a small pytest plugin accepts `--ctrf FILE`
(Harbor's verifiers pass it) when pytest-json-ctrf is not installed.
"""
from __future__ import annotations

from pathlib import Path

_PYTHON = """#!/bin/sh
exec {python} "$@"
"""

_PYTEST = """#!/bin/sh
exec {python} -m pytest "$@"
"""

_UV = r"""#!/bin/bash
# tb-local uv stand-in: no network, so installs are skipped and `uv run CMD` runs CMD.
sub="$1"; shift || true
case "$sub" in
  run)
    while [ $# -gt 0 ]; do
      case "$1" in
        --with|-w|--python|-p|--project|--directory|--env-file|--extra|--group|--index-url|--from) shift 2 ;;
        --) shift; break ;;
        -*) shift ;;
        *) break ;;
      esac
    done
    case "$1" in *.py) exec python3 "$@" ;; esac  # `uv run script.py` runs it with python
    exec "$@" ;;
  init|add|venv|sync|lock|remove|pip|python|tool|self|cache)
    echo "tb-local: 'uv $sub${*:+ $*}' skipped (offline; the local backend provides python3 and pytest)" >&2
    exit 0 ;;
  --version|version) echo "uv (tb-local stand-in)"; exit 0 ;;
  *) echo "tb-local: 'uv $sub' is not available offline" >&2; exit 1 ;;
esac
"""

_UVX = r"""#!/bin/bash
# tb-local uvx stand-in: drop the environment options, run the tool from PATH.
while [ $# -gt 0 ]; do
  case "$1" in
    --with|-w|--python|-p|--from|--index-url) shift 2 ;;
    --) shift; break ;;
    -*) shift ;;
    *) break ;;
  esac
done
exec "$@"
"""

_APT = r"""#!/bin/bash
# tb-local apt-get/apt stand-in: no network in the sandbox. Packages come from the task's
# Dockerfile (the host's, or fetched into the task's layer by the builder): installing one of
# those succeeds, as it would in the image; anything else fails saying why.
sub=""; pkgs=(); skip=0
for a in "$@"; do
  if [ "$skip" = 1 ]; then skip=0; continue; fi
  case "$a" in
    -o|-t|-c|--target-release|--option|--config-file) skip=1 ;;
    -*) ;;
    *) if [ -z "$sub" ]; then sub="$a"; else pkgs+=("${a%%[=:]*}"); fi ;;
  esac
done
case "$sub" in
  update|clean|autoclean|autoremove|upgrade|dist-upgrade|full-upgrade)
    echo "tb-local: '$(basename "$0") $sub' skipped (offline sandbox)" >&2; exit 0 ;;
  install|reinstall)
    missing=()
    for p in "${pkgs[@]}"; do
      if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then continue; fi
      if grep -qx -- "$p" /.tb/apt/packages 2>/dev/null; then continue; fi
      missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then
      echo "tb-local: apt packages already in the image: ${pkgs[*]}" >&2; exit 0
    fi
    echo "E: tb-local: no network to install ${missing[*]} (only packages the task's Dockerfile installs are available)" >&2
    exit 100 ;;
  *) for real in /usr/bin/"$(basename "$0")" /bin/"$(basename "$0")"; do [ -x "$real" ] && exec "$real" "$@"; done
     echo "tb-local: $(basename "$0") is not available" >&2; exit 100 ;;
esac
"""

APT_DIR = "/.tb/apt"  # a build's list of layered packages (`packages`), read by the apt stand-in

_CTRF_PLUGIN = '''"""tb-local stand-in for pytest-json-ctrf: accept --ctrf FILE and write a small CTRF report."""
import json
import time


def pytest_addoption(parser):
    try:
        parser.addoption("--ctrf", action="store", default=None, help="CTRF JSON report path (tb-local)")
    except ValueError:  # the real plugin is installed and owns the option
        pass


_results = []


def pytest_runtest_logreport(report):
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        _results.append({"name": report.nodeid, "status": report.outcome, "duration": report.duration})


def pytest_sessionfinish(session, exitstatus):
    path = session.config.getoption("ctrf", default=None)
    if not path:
        return
    summary = {k: sum(1 for r in _results if r["status"] == k) for k in ("passed", "failed", "skipped")}
    summary.update(tests=len(_results), pending=0, other=0, start=0, stop=int(time.time() * 1000))
    doc = {"results": {"tool": {"name": "pytest"}, "summary": summary, "tests": _results}}
    try:
        with open(path, "w") as f:
            json.dump(doc, f)
    except OSError:
        pass
'''

PLUGIN_MODULE = "tb_local_ctrf"


def write_shims(bin_dir: Path, plugin_dir: Path, python: str) -> None:
    bin_dir.mkdir(parents=True, exist_ok=True)
    plugin_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "python3": _PYTHON.format(python=python),
        "python": _PYTHON.format(python=python),
        "pytest": _PYTEST.format(python=python),
        "py.test": _PYTEST.format(python=python),
        "uv": _UV,
        "uvx": _UVX,
        "apt-get": _APT,
        "apt": _APT,
    }
    for name, text in files.items():
        p = bin_dir / name
        p.write_text(text)
        p.chmod(0o755)
    (plugin_dir / f"{PLUGIN_MODULE}.py").write_text(_CTRF_PLUGIN)
