"""The no-LLM proposer for terminal tasks: the library's scripts are the model.

Sampling proposes the best-ranked terminal skills for the instruction (scripts that solved similar
tasks, from runs or recorded by agents over MCP/REST), as attempts, with the file names their task
mentioned swapped for the ones this instruction mentions (`library.reuse_scripts`). Refinement
retrieves again, by the failing tests' output of the parent, and proposes the best-ranked script
not yet tried on the task. The loop runs every script in the sandboxed terminal runner; their
outcomes move the skills' EMAs, so scripts that keep failing sink in the ranking.

There is no search to fall back on: with no terminal skills there is nothing to propose, and
`require_terminal_skills` says so before a run starts.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from skills_store.schema import Skill, code_hash

from ..domain import Attempt, Task
from ..environments.terminal import TerminalEnvironment
from .base import Proposal
from .library import reuse_scripts

TERMINAL = "terminal"


class NoTerminalSkillsError(ValueError):
    """A terminal suite with the library proposer and an empty terminal library."""


@dataclass
class TerminalLibraryConfig:
    k_retrieve: int = 16   # skills ranked per call; proposals are drawn from these, best first


def terminal_skill_count(library) -> int:
    return int(library.stats().get("by_kind", {}).get(TERMINAL, 0))


def require_terminal_skills(library, where: str) -> None:
    """Refuse a run that could only propose nothing: say what to pass instead."""
    if terminal_skill_count(library) == 0:
        raise NoTerminalSkillsError(
            f"no terminal skills in {where}: the library proposer (the default) only proposes scripts that "
            "solved similar tasks, so it has nothing to try. Pass --proposer MODEL (local/smollm2, "
            "hosted_vllm/NAME with --api-base, or any litellm model string), or fill the store first: "
            "record solutions over `soar serve http` (POST /attempts with kind \"terminal\") or "
            "`soar serve mcp` (record_attempt), or `soar skills add FILE.jsonl`.")


class TerminalLibraryProposer:
    def __init__(self, library, config: TerminalLibraryConfig | None = None):
        self.name = "terminal-library"
        self.library = library
        self.config = config or TerminalLibraryConfig()
        self._tried: dict[str, set[str]] = {}  # task id -> hashes of scripts proposed for it
        self._lock = threading.Lock()

    def start_task(self, task_id: str) -> None:
        """A new iteration's search of the task: its scripts may be proposed again (the library,
        and so the ranking, has changed since)."""
        with self._lock:
            self._tried.pop(task_id, None)

    def _fresh(self, task: Task, proposals: list[Proposal], n: int) -> list[Proposal]:
        """Up to n proposals whose script was not proposed for this task before (by code hash)."""
        out = []
        with self._lock:
            tried = self._tried.setdefault(task.id, set())
            for p in proposals:
                h = code_hash(p.code)
                if h in tried:
                    continue
                tried.add(h)
                out.append(p)
                if len(out) >= n:
                    break
        return out

    @staticmethod
    def _merge(first: list[Skill], more: list[Skill]) -> list[Skill]:
        seen, out = set(), []
        for s in first + more:
            if s.id not in seen and s.kind == TERMINAL:
                seen.add(s.id)
                out.append(s)
        return out

    def sample(self, task: Task, skills: list[Skill], n: int, seed: int = 0) -> list[Proposal]:
        if n <= 0:
            return []
        ranked = [h.skill for h in self.library.retrieve_for_sampling(task.instruction, self.config.k_retrieve,
                                                                      kind=TERMINAL)]
        ordered = self._merge(list(skills), ranked)
        return self._fresh(task, reuse_scripts(task, ordered, len(ordered)), n)

    def refine(self, task: Task, parent: Attempt, skills: list[Skill], n: int, seed: int = 0) -> list[Proposal]:
        if n <= 0:
            return []
        feedback = TerminalEnvironment().feedback(task, parent)  # which tests failed, what they printed
        ranked = [h.skill for h in self.library.retrieve_for_refinement(task.instruction, feedback,
                                                                        self.config.k_retrieve, kind=TERMINAL)]
        ordered = self._merge(list(skills), ranked)
        props = [p for p in reuse_scripts(task, ordered, len(ordered)) if code_hash(p.code) != code_hash(parent.code)]
        return self._fresh(task, props, n)

