"""The development protocol: where a figure may come from.

- Development happens on the train sets only. arc1-train (and arc2-train) are split once, for
  good, into a *learn* half and a *transfer* half by a hash of the task id: sha256(id) starting
  with 0-7 is learn, 8-f is transfer. The split needs no list of ids, never changes when tasks
  are added, and every tool computes the same one. The suites `arc1-train:learn`,
  `arc1-train:transfer`, `arc2-train:learn`, `arc2-train:transfer` name the halves.
- The eval sets (arc1-eval, arc2-eval) are for the final table only: every task of the suite,
  in sorted order, asked for explicitly (`final=True`, a `--final` flag). A development command
  handed an eval suite, or a final run handed a subset, fails with an error that says so.
- arc2-train contains most of arc1-eval (ARC-AGI-2 reused it), so its halves leave out every
  task of an eval suite, and plain `arc2-train` is refused in development like an eval suite.
- Every tool selects tasks the same way: sorted ids, then the first `limit`.
"""
from __future__ import annotations

import hashlib

HALVES = ("learn", "transfer")
SPLIT_SUITES = ("arc1-train", "arc2-train")     # the suites that have a learn/transfer split
FINAL_SUITES = ("arc1-eval", "arc2-eval")       # held out for the final table
MIXED_SUITES = ("arc2-train",)                  # hold eval tasks: use their halves, which do not


class ProtocolError(ValueError):
    """A command broke the development protocol (eval tasks in development, a partial final table)."""


def half_of(task_id: str) -> str:
    """"learn" or "transfer": the first hex digit of sha256(task id), 0-7 or 8-f."""
    return "learn" if hashlib.sha256(task_id.encode()).hexdigest()[0] in "01234567" else "transfer"


def parse_split_suite(suite: str) -> tuple[str, str] | None:
    """`arc1-train:learn` -> ("arc1-train", "learn"); None for a suite that names no half.
    Raises for a half of a suite that has no split, or an unknown half."""
    base, sep, half = suite.partition(":")
    if not sep or base == "arc" or base == "tb":
        return None
    if base not in SPLIT_SUITES:
        raise ProtocolError(f"suite {suite!r}: only {', '.join(SPLIT_SUITES)} have learn/transfer halves")
    if half not in HALVES:
        raise ProtocolError(f"suite {suite!r}: unknown half {half!r}; choose {base}:learn or {base}:transfer")
    return base, half


def in_half(task_ids, half: str) -> list[str]:
    """The ids (sorted) that fall in `half`."""
    return sorted(t for t in task_ids if half_of(t) == half)


def is_final_suite(suite: str) -> bool:
    return suite in FINAL_SUITES


def check_suite(suite: str, *, final: bool = False, limit: int | None = None,
                task_ids: list[str] | tuple[str, ...] | None = None) -> None:
    """Refuse what the protocol forbids: an eval suite without `final`, a final table over fewer
    than all of the suite's tasks, or `final` on a development suite."""
    if is_final_suite(suite):
        if not final:
            raise ProtocolError(
                f"suite {suite!r} is held out for the final table: develop on arc1-train:learn and "
                f"arc1-train:transfer (or arc2-train:learn/transfer), or pass --final to score all of {suite} (no --limit, no task ids)")
        if limit is not None or task_ids:
            raise ProtocolError(f"--final scores every task of {suite} in sorted order: drop --limit/--task-ids")
    elif suite in MIXED_SUITES:
        raise ProtocolError(f"suite {suite!r} contains arc1-eval tasks (ARC-AGI-2 reused them): develop on "
                            f"{suite}:learn and {suite}:transfer, which leave every eval task out")
    elif final:
        raise ProtocolError(f"--final is for the held-out eval suites ({', '.join(FINAL_SUITES)}), not {suite!r}")


def check_task(suite: str, task_id: str) -> None:
    """Refuse one task of an eval suite (or an eval task inside arc2-train) for development use."""
    from .suites import list_task_ids

    if suite.startswith(("arc:", "tb:")):
        return
    if is_final_suite(suite) or any(task_id in list_task_ids(f) for f in FINAL_SUITES):
        raise ProtocolError(f"task {task_id!r} belongs to a held-out eval suite ({', '.join(FINAL_SUITES)}): "
                            "development tools work on arc1-train (arc1-train:learn / :transfer) and arc2-train's halves")


def select_task_ids(suite: str, limit: int | None = None, *, final: bool = False) -> list[str]:
    """The one way every benchmark picks tasks: the suite's ids sorted, the first `limit`, after
    the protocol check."""
    from .suites import list_task_ids

    check_suite(suite, final=final, limit=limit)
    ids = list_task_ids(suite)
    if limit is not None:
        if limit < 0:
            raise ProtocolError(f"limit must be >= 0, got {limit}")
        ids = ids[:limit]
    return ids
