"""Terminal-Bench's verdict from pytest output, reproduced: read the `-rA` short test summary.

Terminal-Bench 1 splits the output at the first "short test summary info" banner and reads each
line `STATUS path::name[ - reason]`. PASSED, XFAIL and SKIPPED count as passed; FAILED, ERROR and
XPASS as failed. No banner means a parse error (not resolved). A task is resolved only if every
parsed test passed. Deliberate differences: an empty summary (nothing parsed) is not resolved,
where Terminal-Bench's `all([])` would say it is; failure reasons are cut from the test names
(a skipped test keeps pytest's "[n] file:line: reason" as its name, as in Terminal-Bench).
"""
from __future__ import annotations

import re

SUMMARY_BANNER = re.compile(r"=+\s*short test summary info\s*=+", re.IGNORECASE)
_STATUSES = {"PASSED": "PASSED", "XFAIL": "PASSED", "SKIPPED": "PASSED",
             "FAILED": "FAILED", "ERROR": "FAILED", "XPASS": "FAILED"}
_FAILED_DELIM = " - "


class SummaryNotFound(ValueError):
    pass


def _parse_line(line: str) -> tuple[str, str] | None:
    if line.startswith(("FAILED", "ERROR")):
        # Terminal-Bench drops only the text after the *last* " - " and only on FAILED lines, so
        # its names can keep part of the reason; we cut at the first one. Statuses are the same.
        line = line.split(_FAILED_DELIM, 1)[0]
    parts = line.split(maxsplit=1)
    if len(parts) <= 1:
        return None
    status = parts[0].strip().strip(":")
    if status not in _STATUSES:
        return None
    name = parts[1].strip().split("::", maxsplit=1)[-1]
    if not name:
        return None
    return name, _STATUSES[status]


def parse_pytest_summary(output: str) -> dict[str, str]:
    """Test name -> "PASSED" | "FAILED". Raises SummaryNotFound without a summary banner."""
    parts = SUMMARY_BANNER.split(output, maxsplit=1)
    if len(parts) < 2:
        raise SummaryNotFound("no 'short test summary info' section in the test output")
    results: dict[str, str] = {}
    for line in parts[1].splitlines():
        parsed = _parse_line(line)
        if parsed:
            results[parsed[0]] = parsed[1]
    return results


def is_resolved(results: dict[str, str] | None) -> bool:
    return bool(results) and all(v == "PASSED" for v in results.values())
