"""What a run's engines share: handed to the graph as LangGraph runtime context (never checkpointed)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from .config import RunConfig
from .domain import Task
from .environments.base import Environment
from .library import Library
from .oracle import Oracle
from .proposers.base import Proposer
from .results import TaskSummary
from .run_dir import RunDir


@dataclass
class RunContext:
    config: RunConfig
    tasks: dict[str, Task]               # public tasks only (no test outputs)
    oracle: Oracle                       # hidden test outputs, read only by the scorer
    proposer: Proposer
    environments: dict[str, Environment]  # by task kind
    library: Library                     # a SkillStore; on a Ray worker, a read-only LibrarySnapshot
    run_dir: RunDir
    log: Callable[[str], None] = field(default=lambda msg: None)
    # (task_id, iteration) -> search summary; None runs task_search.search_task in this process.
    # --executor ray sets a distributed.ray_search.RaySearchBackend here.
    search_backend: Callable[[str, int], TaskSummary] | None = None

    def env(self, task: Task) -> Environment:
        try:
            return self.environments[task.kind]
        except KeyError:
            raise ValueError(f"no environment for task kind {task.kind!r} (task {task.id})") from None
