"""Sandboxed program execution: a pool of persistent workers (bubblewrap + seccomp + rlimits)
that evaluate batches of (program source, inputs). See the `worker` package for the in-sandbox
design and why programs run in-process with layered state isolation."""
from .config import ExecConfig
from .pool import Executor
from .result import ERROR_KINDS, ProgramResult
from .sandbox import SandboxUnavailable

__all__ = ["Executor", "ExecConfig", "ProgramResult", "ERROR_KINDS", "SandboxUnavailable"]
