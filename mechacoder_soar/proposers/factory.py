"""Pick a proposer from a model string: "library" (default, no LLM) or any litellm model string
("local/smollm2" for the in-process SmolLM2, "hosted_vllm/NAME" with --api-base, API providers).

"library" means program search steered by the library for ARC tasks and the library's own scripts
for terminal tasks (`terminal_library.py`); a suite with both kinds gets each task its own."""
from __future__ import annotations

from ..config import RunConfig


class ByKind:
    """One proposer per task kind, behind the Proposer protocol."""

    def __init__(self, proposers: dict, default):
        self.proposers, self.default = proposers, default
        self.name = default.name

    def _for(self, task):
        return self.proposers.get(task.kind, self.default)

    def sample(self, task, skills, n, seed=0):
        return self._for(task).sample(task, skills, n, seed)

    def refine(self, task, parent, skills, n, seed=0):
        return self._for(task).refine(task, parent, skills, n, seed)

    def _all(self) -> list:
        return list({id(p): p for p in [*self.proposers.values(), self.default]}.values())

    def start_task(self, task_id: str) -> None:
        for p in self._all():
            if hasattr(p, "start_task"):
                p.start_task(task_id)

    def close(self) -> None:
        for p in self._all():
            if hasattr(p, "close"):
                p.close()


def make_proposer(cfg: RunConfig, library, kinds: set[str]):
    if cfg.proposer in ("library", "library-search"):
        return _library_proposer(cfg, library, kinds)
    from .llm import LLMConfig, LLMProposer

    return LLMProposer(LLMConfig(model=cfg.proposer, api_base=cfg.api_base, temperature=cfg.temperature,
                                 min_p=cfg.min_p, max_tokens=cfg.max_tokens))


def _library_proposer(cfg: RunConfig, library, kinds: set[str]):
    from .library import LibrarySearchConfig, LibrarySearchProposer, ensure_seed_skills
    from .terminal_library import TerminalLibraryProposer, require_terminal_skills

    terminal = None
    if "terminal" in kinds:
        # checked before anything runs: a terminal task with no script to reuse would only burn time
        require_terminal_skills(library, f"namespace {library.namespace!r} of store {cfg.store or '(default)'}")
        terminal = TerminalLibraryProposer(library)
        if kinds == {"terminal"}:
            return terminal
    if "arc" in kinds:
        ensure_seed_skills(library)
    # one search process per task searched at once
    search = LibrarySearchProposer(library, LibrarySearchConfig(search=cfg.search, processes=cfg.concurrency,
                                                                   own_stones=cfg.stones_per_task))
    return ByKind({"terminal": terminal}, search) if terminal else search
