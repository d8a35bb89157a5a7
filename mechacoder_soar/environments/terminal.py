"""Terminal environment: an attempt is a shell script run in the task's isolated root, then the
task's tests (Terminal-Bench semantics: resolved only if every test passed).

Mapping onto the loop's vocabulary: each of the task's tests is one "train pair" (passed or not),
so train accuracy = tests passed / total and REX favours scripts that pass more tests. The "test
output" of an attempt is a digest of the end state it produced, so the weighted vote groups scripts
that leave the system in the same state. Hindsight: the synthetic task is "bring the system to the
observed end state", described by the deterministic end-state summariser.
"""
from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..domain import Attempt, Task
from ..hindsight import Relabelled, relabel_behaviour
from .base import Evaluation


class TerminalEnvironment:
    kind = "terminal"

    def __init__(self, parallel: int = 2, timeout_s: float | None = None, backend=None):
        self.parallel = parallel
        self.timeout_s = timeout_s
        self.backend = backend
        self._tb: dict[str, object] = {}

    def _tbtask(self, task: Task):
        from ..terminal import load_tb_task

        key = task.meta["path"]
        if key not in self._tb:
            self._tb[key] = load_tb_task(Path(key))
        return self._tb[key]

    def _one(self, task: Task, script: str) -> Evaluation:
        from ..terminal import run_trial, summarise_end_state

        r = run_trial(self._tbtask(task), script, backend=self.backend, timeout_s=self.timeout_s)
        names = sorted(r.test_results)
        correct = [r.test_results[n] == "PASSED" for n in names]
        total = max(r.tests_total, len(names))
        acc = (r.tests_passed / total) if total else 0.0
        state = summarise_end_state(r.end_state)
        digest = hashlib.sha256(json.dumps(r.end_state, sort_keys=True, default=str).encode()).hexdigest()[:16]
        failing = [n for n in names if r.test_results[n] != "PASSED"]
        return Evaluation(
            train_outputs=[{"test": n, "status": r.test_results[n]} for n in names],
            train_correct=correct if names else [False], train_accuracy=acc if names else 0.0,
            test_outputs=[digest], error=r.error, runtime_s=r.wall_s,
            meta={"resolved": r.resolved, "end_state": state[:2000], "failing_tests": ", ".join(failing)[:500],
                  "test_output_tail": r.test_output[-1500:], "script_exit": r.script_exit if r.script_exit is not None else -1},
        )

    def evaluate(self, task: Task, codes: list[str]) -> list[Evaluation]:
        with ThreadPoolExecutor(max_workers=self.parallel) as pool:
            return list(pool.map(lambda c: self._one(task, c), codes))

    def describe(self, task: Task) -> str:
        return task.instruction

    def feedback(self, task: Task, attempt: Attempt) -> str:
        if attempt.error:
            return f"error: {attempt.error[:300]}"
        failing = attempt.meta.get("failing_tests", "")
        return f"failing tests: {failing}\n{str(attempt.meta.get('test_output_tail', ''))[-800:]}"

    def relabel(self, task: Task, attempt: Attempt, iteration: int) -> Relabelled | None:
        state = attempt.meta.get("end_state")
        if attempt.error or not state or attempt.meta.get("script_exit", 0) != 0:
            return None
        return relabel_behaviour(task, attempt.code, [("end state", state)], kind="terminal",
                                 attempt_id=attempt.id, iteration=iteration)

    def close(self) -> None:
        pass
