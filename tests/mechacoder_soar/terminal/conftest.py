"""Fixtures: tiny TB1 and TB2 task folders written on the fly, and one shared local backend
(so builds are interpreted once per task across the module)."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mechacoder_soar.terminal.local_backend import LocalBackend

# fixtures/ holds task folders whose tests/ run inside the sandbox, never in this session
collect_ignore_glob = ["fixtures/*"]

needs_bwrap = pytest.mark.skipif(LocalBackend.available() is not None,
                                 reason=f"bubblewrap unusable here: {LocalBackend.available()}")

STOCK_RUN_TESTS = textwrap.dedent("""\
    #!/bin/bash
    curl -LsSf https://astral.sh/uv/0.7.13/install.sh | sh
    source $HOME/.local/bin/env
    if [ "$PWD" = "/" ]; then
        echo "Error: No working directory set."
        exit 1
    fi
    uv init
    uv add pytest==8.4.1
    uv run pytest $TEST_DIR/test_outputs.py -rA
    """)


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))
    return root


@pytest.fixture
def tb1_task(tmp_path: Path) -> Path:
    return write(tmp_path / "upper-case", {
        "task.yaml": """\
            instruction: Write the contents of /app/in.txt in upper case to /app/out.txt.
            difficulty: easy
            category: text-processing
            tags: [text]
            max_agent_timeout_sec: 30
            max_test_timeout_sec: 30
            """,
        "Dockerfile": """\
            FROM ubuntu:24.04
            ENV GREETING=hi
            WORKDIR /app
            COPY in.txt /app/in.txt
            """,
        "in.txt": "hello tb\n",
        "run-tests.sh": STOCK_RUN_TESTS,
        "solution.sh": "tr a-z A-Z < /app/in.txt > /app/out.txt\n",
        "tests/test_outputs.py": """\
            import os
            from pathlib import Path

            def test_upper():
                assert Path("/app/out.txt").read_text() == "HELLO TB\\n"

            def test_env_from_dockerfile():
                assert os.environ.get("GREETING") == "hi"
            """,
    })


@pytest.fixture
def tb2_task(tmp_path: Path) -> Path:
    return write(tmp_path / "count-lines", {
        "task.toml": """\
            version = "1.0"

            [metadata]
            author_name = "test"
            difficulty = "medium"
            category = "text-processing"
            tags = ["wc"]

            [agent]
            timeout_sec = 30.0

            [verifier]
            timeout_sec = 30.0

            [environment]
            build_timeout_sec = 60.0
            cpus = 1
            memory_mb = 1024
            """,
        "instruction.md": "Write the number of lines of /app/data.txt to /app/count.txt.\n",
        "environment/Dockerfile": """\
            FROM debian:bookworm-slim
            RUN apt-get update && apt-get install -y --no-install-recommends coreutils=9.1-1 \\
                && rm -rf /var/lib/apt/lists/*
            WORKDIR /app
            COPY data.txt /app/
            """,
        "environment/data.txt": "a\nb\nc\n",
        "solution/solve.sh": """\
            #!/bin/bash
            # uses a file shipped beside it, as Harbor solutions do
            bash "$(dirname "${BASH_SOURCE[0]}")/files/count.sh"
            """,
        "solution/files/count.sh": "wc -l < /app/data.txt | tr -d ' ' > /app/count.txt\n",
        "tests/test.sh": """\
            #!/bin/bash
            mkdir -p /logs/verifier
            uvx -p 3.13 -w pytest==8.4.1 -w pytest-json-ctrf==0.3.5 pytest --ctrf /logs/verifier/ctrf.json /tests/test_outputs.py -rA
            if [ $? -eq 0 ]; then echo 1 > /logs/verifier/reward.txt; else echo 0 > /logs/verifier/reward.txt; fi
            """,
        "tests/test_outputs.py": """\
            from pathlib import Path

            def test_count():
                assert Path("/app/count.txt").read_text().strip() == "3"
            """,
    })


@pytest.fixture(scope="module")
def backend():
    b = LocalBackend()
    yield b
    b.close()
