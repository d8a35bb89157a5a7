"""Configuration of the sandboxed executor pool (passed in explicitly; no hidden globals)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class ExecConfig:
    # persistent sandboxed workers (one bubblewrap instance each); default: one per core
    workers: int = field(default_factory=lambda: max(1, os.cpu_count() or 1))
    # wall-clock limit per program (all of its inputs together); SIGALRM at this point, SIGKILL
    # by the in-sandbox watchdog `grace_s` later, and a parent-side backstop after that
    timeout_s: float = 2.0
    grace_s: float = 0.5
    # address space a program may add on top of the warm interpreter (numpy loaded)
    memory_mb: int = 1024
    # "arc": each output must be a rectangular int grid 0-9 within 30x30; "json": any JSON value
    validate: Literal["arc", "json"] = "arc"
    # "auto": bubblewrap when it works here, else rlimits-only with a loud warning;
    # "bubblewrap": refuse to start without it; "rlimits": never use it (tests, odd hosts)
    sandbox: Literal["auto", "bubblewrap", "rlimits"] = "auto"
    # seccomp filter in every executor (no fork/exec/sockets/ptrace/signalling others); x86_64
    seccomp: bool = True
    # packages made importable inside the sandbox (bound read-only from this interpreter's
    # site-packages); numpy is preloaded in the zygote so every program gets it warm
    packages: tuple[str, ...] = ("numpy", "scipy")
    preload: tuple[str, ...] = ("numpy",)
    # programs per round-trip to a worker; None = sized from the batch (load balance vs overhead)
    chunk_size: int | None = None
    startup_timeout_s: float = 30.0
    scratch_mb: int = 64          # size of the private /tmp tmpfs
    fsize_mb: int = 16            # RLIMIT_FSIZE per executor
    nproc: int = 64               # RLIMIT_NPROC (only binds for non-root uids; seccomp covers root)
    recycle_cpu_s: float = 30.0   # retire an executor after this much CPU (keeps RLIMIT_CPU a pure backstop)
    flush_s: float = 0.002        # executor batches result frames for this long
    python: str | None = None     # interpreter for the workers (default: this one's base interpreter)

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(f"ExecConfig.workers must be >= 1, got {self.workers}")
        if self.timeout_s <= 0:
            raise ValueError(f"ExecConfig.timeout_s must be > 0, got {self.timeout_s}")
        if self.memory_mb < 16:
            raise ValueError(f"ExecConfig.memory_mb must be >= 16, got {self.memory_mb}")
        if self.validate not in ("arc", "json"):
            raise ValueError(f"ExecConfig.validate must be 'arc' or 'json', got {self.validate!r}")
        if self.sandbox not in ("auto", "bubblewrap", "rlimits"):
            raise ValueError(f"ExecConfig.sandbox must be auto|bubblewrap|rlimits, got {self.sandbox!r}")
        if self.chunk_size is not None and self.chunk_size < 1:
            raise ValueError(f"ExecConfig.chunk_size must be >= 1, got {self.chunk_size}")
