"""The run directory: config.json, attempts.jsonl, metrics.json, checkpoints.sqlite.

Attempts of an iteration are first journalled in work/iter-K.jsonl as they are executed (no test
correctness: nothing hidden is read during search). The scorer then appends them to
attempts.jsonl with test correctness, in SOAR's released-dataset fields plus ours. Both files
are deduplicated by attempt id, so a resumed run never writes an attempt twice.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path

from .domain import Attempt


class RunDir:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        (self.path / "work").mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._journal: dict[int, dict[str, Attempt]] = {}
        self._final_ids: set[str] | None = None

    @property
    def checkpoint_db(self) -> Path:
        return self.path / "checkpoints.sqlite"

    @property
    def attempts_file(self) -> Path:
        return self.path / "attempts.jsonl"

    @property
    def metrics_file(self) -> Path:
        return self.path / "metrics.json"

    def _journal_file(self, iteration: int) -> Path:
        return self.path / "work" / f"iter-{iteration}.jsonl"

    def _load_journal(self, iteration: int) -> dict[str, Attempt]:
        j = self._journal.get(iteration)
        if j is None:
            j = {}
            f = self._journal_file(iteration)
            if f.exists():
                for line in f.read_text().splitlines():
                    if line.strip():
                        try:
                            a = Attempt.model_validate_json(line)
                        except ValueError:
                            continue  # a torn last line from a kill mid-write
                        j[a.id] = a
            self._journal[iteration] = j
        return j

    def journal(self, iteration: int, attempts: list[Attempt]) -> list[Attempt]:
        """Append attempts not seen before; returns the ones actually added."""
        with self._lock:
            j = self._load_journal(iteration)
            new = [a for a in attempts if a.id not in j]
            if new:
                with self._journal_file(iteration).open("a") as f:
                    for a in new:
                        f.write(a.model_dump_json() + "\n")
                        j[a.id] = a
            return new

    def attempts(self, iteration: int, task_id: str | None = None) -> list[Attempt]:
        with self._lock:
            j = self._load_journal(iteration)
            return [a for a in j.values() if task_id is None or a.task_id == task_id]

    def finalize(self, attempts: list[Attempt]) -> int:
        with self._lock:
            if self._final_ids is None:
                self._final_ids = set()
                if self.attempts_file.exists():
                    for line in self.attempts_file.read_text().splitlines():
                        try:
                            self._final_ids.add(json.loads(line)["id"])
                        except (ValueError, KeyError):
                            continue
            new = [a for a in attempts if a.id not in self._final_ids]
            with self.attempts_file.open("a") as f:
                for a in new:
                    f.write(json.dumps(a.to_soar_record()) + "\n")
                    self._final_ids.add(a.id)
            return len(new)

    def metrics(self) -> dict:
        if self.metrics_file.exists():
            return json.loads(self.metrics_file.read_text())
        return {"iterations": []}

    def write_summary(self, key: str, value: dict) -> None:
        """A run-level entry of metrics.json beside the per-iteration rows (e.g. `adapt`)."""
        with self._lock:
            m = self.metrics()
            m[key] = value
            self._write_metrics(m)

    def _write_metrics(self, m: dict) -> None:
        tmp = self.metrics_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(m, indent=2))
        tmp.replace(self.metrics_file)

    def write_iteration_metrics(self, row: dict) -> None:
        with self._lock:
            m = self.metrics()
            m["iterations"] = [r for r in m["iterations"] if r["iteration"] != row["iteration"]] + [row]
            m["iterations"].sort(key=lambda r: r["iteration"])
            self._write_metrics(m)
