"""What running one program on its inputs produced."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# program-level error kinds
ERROR_KINDS = (
    "syntax",             # does not compile
    "missing_transform",  # no callable transform
    "exception",          # raised at module level
    "timeout",            # wall clock or CPU limit
    "memory",             # address-space limit
    "crash",              # the executor died (segfault, os._exit, killed)
    "forbidden",          # an operation the sandbox refuses (EPERM/EACCES/EROFS)
    "worker",             # infrastructure failure (sandbox would not start or misbehaved)
)


@dataclass
class ProgramResult:
    outputs: list[Any | None] = field(default_factory=list)  # one per input; None where it failed
    errors: list[str | None] = field(default_factory=list)   # one per input
    error: str | None = None                                 # program-level failure
    error_kind: str | None = None
    runtime_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None and all(e is None for e in self.errors)

    @classmethod
    def failed(cls, n_inputs: int, kind: str, message: str, runtime_s: float = 0.0) -> "ProgramResult":
        return cls([None] * n_inputs, [None] * n_inputs, message, kind, runtime_s)
