"""`run_trial`: one attempt script against one task, graded as Terminal-Bench grades it."""
from __future__ import annotations

from .backend import Backend, pick_backend
from .loader import TBTask
from .result import TrialResult

_default: Backend | None = None


def default_backend() -> Backend:
    """A process-wide backend (picked once), so repeated trials reuse cached builds."""
    global _default
    if _default is None:
        _default = pick_backend("auto")
    return _default


def run_trial(tbtask: TBTask, script: str, backend: Backend | None = None, timeout_s: float | None = None,
              *, with_solution_files: bool = False) -> TrialResult:
    """Run `script` (a shell script, run non-interactively in the task's WORKDIR), then the
    task's tests. `timeout_s` overrides the task's agent time limit. `with_solution_files` mounts
    a TB2 task's solution/ folder at /solution (for its reference solve.sh only)."""
    b = backend or default_backend()
    return b.run_trial(tbtask, script, timeout_s=timeout_s, with_solution_files=with_solution_files)
