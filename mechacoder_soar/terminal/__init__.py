"""Terminal-Bench tasks (TB1 and TB2/Harbor formats) run without Docker when none is available.

    from mechacoder_soar.terminal import load_tb_suite, run_trial
    for t in load_tb_suite(path):
        r = run_trial(t, "echo hi > /app/out.txt")
        r.resolved, r.test_results, r.unhonoured_steps
"""
from __future__ import annotations

from .backend import Backend, pick_backend
from .end_state import summarise_end_state
from .loader import TBTask, TBTaskError, builtin_suite_path, load_tb_suite, load_tb_task
from .result import TrialResult
from .trial import run_trial

__all__ = [
    "Backend", "TBTask", "TBTaskError", "TrialResult", "builtin_suite_path", "load_tb_suite", "load_tb_task",
    "pick_backend", "run_trial", "summarise_end_state",
]
