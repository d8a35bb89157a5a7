from __future__ import annotations

import pytest

from mechacoder_soar.executor import ExecConfig, Executor


@pytest.fixture(scope="package")
def ex():
    """Two workers: the realistic shape (programs spread over workers, restarts in parallel)."""
    with Executor(ExecConfig(workers=2, timeout_s=1.0, grace_s=0.3, memory_mb=512)) as e:
        yield e


@pytest.fixture(scope="package")
def ex1():
    """One worker, so consecutive programs share a sandbox: what the leak tests need."""
    with Executor(ExecConfig(workers=1, timeout_s=1.0, grace_s=0.3, memory_mb=512, chunk_size=64)) as e:
        yield e


@pytest.fixture(scope="package")
def exj():
    with Executor(ExecConfig(workers=1, timeout_s=1.0, grace_s=0.3, memory_mb=512, validate="json")) as e:
        yield e
