"""Task configuration files of Terminal-Bench, as pydantic models.

Two on-disk formats are read:

* Terminal-Bench 1: `task.yaml` (instruction, difficulty, timeouts, parser) next to a `Dockerfile`,
  `run-tests.sh`, `tests/` and `solution.sh` or `solution.yaml` (keystroke commands).
* Terminal-Bench 2 / Harbor: `task.toml` (metadata, agent/verifier timeouts, environment), with
  `instruction.md`, `environment/Dockerfile`, `solution/solve.sh` and `tests/test.sh`, the latter
  writing a reward to `/logs/verifier/reward.txt`.

Unknown keys are ignored (both formats keep growing optional metadata); the keys we rely on are
typed, so a malformed value fails with the field named.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Difficulty = Literal["easy", "medium", "hard", "unknown"]


class TB1TaskConfig(BaseModel):
    """`task.yaml` (Terminal-Bench 1). Defaults are Terminal-Bench's own."""

    model_config = ConfigDict(extra="ignore")

    instruction: str = Field(min_length=1)
    author_name: str = "unknown"
    author_email: str = "unknown"
    difficulty: Difficulty
    category: str = "software_engineering"
    tags: list[str] = Field(default_factory=list)
    parser_name: str = "pytest"
    max_agent_timeout_sec: float = Field(default=360.0, gt=0)
    max_test_timeout_sec: float = Field(default=60.0, gt=0)
    run_tests_in_same_shell: bool = False


class SolutionCommand(BaseModel):
    """One entry of `solution.yaml`: keystrokes sent to the task's shell."""

    model_config = ConfigDict(extra="ignore")

    command: str
    min_timeout_sec: float = 0.0
    max_timeout_sec: float = 180.0
    block: bool = False
    append_enter: bool = True


class TB2Metadata(BaseModel):
    model_config = ConfigDict(extra="allow")

    author_name: str = "unknown"
    author_email: str = "unknown"
    difficulty: Difficulty = "unknown"
    category: str = "software_engineering"
    tags: list[str] = Field(default_factory=list)


class TB2Timeout(BaseModel):
    model_config = ConfigDict(extra="allow")

    timeout_sec: float = Field(default=600.0, gt=0)


class TB2Environment(BaseModel):
    model_config = ConfigDict(extra="allow")

    build_timeout_sec: float = Field(default=600.0, gt=0)
    docker_image: str | None = None
    cpus: float | None = None
    memory_mb: int | None = None
    storage_mb: int | None = None
    workdir: str | None = None
    allow_internet: bool = False


class TB2TaskConfig(BaseModel):
    """`task.toml` (Terminal-Bench 2 / Harbor)."""

    model_config = ConfigDict(extra="ignore")

    version: str = "1.0"
    metadata: TB2Metadata = Field(default_factory=TB2Metadata)
    agent: TB2Timeout = Field(default_factory=TB2Timeout)
    verifier: TB2Timeout = Field(default_factory=TB2Timeout)
    environment: TB2Environment = Field(default_factory=TB2Environment)


def describe_validation_error(path: Any, err: Any) -> str:
    """One line per bad field, each naming the file and the dotted field path."""
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e.get("loc", ())) or "(top level)"
        lines.append(f"{path}: field '{loc}': {e.get('msg', 'invalid')}")
    return "\n".join(lines)
