"""`soar tb check`: every task's reference solution must resolve and an empty attempt must not.

Each task ends in one of three states: `ok`, `failed` (the reference did not resolve on an
environment we reproduced, or an empty attempt resolved), or `unsupported` (this backend cannot
reproduce what the task needs: a service, a VM, a GPU, the network, a build step; or the task
folder cannot be read), with the reason. One task never stops the others.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from .backend import Backend
from .loader import SkippedTask, TBTask, TBTaskError
from .support import runtime_reason, static_reason
from .trial import run_trial

Status = Literal["ok", "failed", "unsupported"]


@dataclass
class CheckRow:
    task_id: str
    reference_resolved: bool = False
    empty_resolved: bool = False
    reference_tests: str = ""  # "passed/total"
    wall_s: float = 0.0
    unhonoured_steps: list[str] = field(default_factory=list)
    error: str | None = None  # why it failed
    unsupported: str | None = None  # why this backend cannot run it
    ran: bool = False  # the reference and the empty attempt were run (not when refused up front)

    @property
    def status(self) -> Status:
        if self.unsupported is not None and not self.empty_resolved:
            return "unsupported"
        if self.error is None and self.reference_resolved and not self.empty_resolved:
            return "ok"
        return "failed"

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok, "status": self.status}


def check_task(task: TBTask, backend: Backend) -> CheckRow:
    row = CheckRow(task_id=task.id)
    why = static_reason(task)
    if why:
        row.unsupported = why
        return row
    try:
        script = task.reference_script()
    except TBTaskError as e:
        row.unsupported = f"cannot be checked: {e}"
        return row
    ref = run_trial(task, script, backend=backend, with_solution_files=True)
    empty = run_trial(task, "", backend=backend)
    row.ran = True
    row.reference_resolved = ref.resolved
    row.empty_resolved = empty.resolved
    row.reference_tests = f"{ref.tests_passed}/{ref.tests_total}"
    row.wall_s = round(ref.wall_s + empty.wall_s, 3)
    row.unhonoured_steps = list(ref.unhonoured_steps)
    if empty.resolved:
        row.error = "an empty attempt resolves the task: its tests check nothing the attempt must do"
    elif not ref.resolved:
        row.unsupported = runtime_reason(ref)
        failed = sorted(k for k, v in ref.test_results.items() if v != "PASSED")
        row.error = ref.error or f"reference failed tests: {', '.join(failed) or '(none parsed)'}"
    return row


def skipped_row(s: SkippedTask) -> CheckRow:
    return CheckRow(task_id=s.id, unsupported=f"cannot read the task: {s.reason}")


def check_suite(tasks: list[TBTask], backend: Backend, skipped: list[SkippedTask] = ()) -> list[CheckRow]:
    """One row per task, sorted by id; an exception in one task's check is that task's row."""
    rows = [skipped_row(s) for s in skipped]
    for t in tasks:
        try:
            rows.append(check_task(t, backend))
        except Exception as e:  # a bad task must not stop the suite; its row says what broke
            rows.append(CheckRow(task_id=t.id, unsupported=f"the check itself failed: {type(e).__name__}: {e}"))
    return sorted(rows, key=lambda r: r.task_id)
