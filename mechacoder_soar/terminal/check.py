"""`soar tb check`: every task's reference solution must resolve and an empty attempt must not."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .backend import Backend
from .loader import TBTask, TBTaskError
from .trial import run_trial


@dataclass
class CheckRow:
    task_id: str
    reference_resolved: bool = False
    empty_resolved: bool = False
    reference_tests: str = ""  # "passed/total"
    wall_s: float = 0.0
    unhonoured_steps: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.reference_resolved and not self.empty_resolved

    def to_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}


def check_task(task: TBTask, backend: Backend) -> CheckRow:
    row = CheckRow(task_id=task.id)
    try:
        script = task.reference_script()
    except TBTaskError as e:
        row.error = str(e)
        return row
    ref = run_trial(task, script, backend=backend, with_solution_files=True)
    empty = run_trial(task, "", backend=backend)
    row.reference_resolved = ref.resolved
    row.empty_resolved = empty.resolved
    row.reference_tests = f"{ref.tests_passed}/{ref.tests_total}"
    row.wall_s = round(ref.wall_s + empty.wall_s, 3)
    row.unhonoured_steps = list(ref.unhonoured_steps)
    if not ref.resolved:
        failed = sorted(k for k, v in ref.test_results.items() if v != "PASSED")
        row.error = ref.error or f"reference failed tests: {', '.join(failed) or '(none parsed)'}"
    elif empty.resolved:
        row.error = "an empty attempt resolves the task: its tests check nothing the attempt must do"
    return row


def check_suite(tasks: list[TBTask], backend: Backend) -> list[CheckRow]:
    return [check_task(t, backend) for t in tasks]
