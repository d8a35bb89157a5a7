"""Pick a proposer from a model string: "library" (default, no LLM) or any litellm model string
("local/smollm2" for the in-process SmolLM2, "hosted_vllm/NAME" with --api-base, API providers)."""
from __future__ import annotations

from ..config import RunConfig


def make_proposer(cfg: RunConfig, library, kinds: set[str]):
    if cfg.proposer in ("library", "library-search"):
        from .library import LibrarySearchConfig, LibrarySearchProposer, ensure_seed_skills

        if "arc" in kinds:
            ensure_seed_skills(library)
        # one search process per task searched at once
        return LibrarySearchProposer(library, LibrarySearchConfig(search=cfg.search, processes=cfg.concurrency))
    from .llm import LLMConfig, LLMProposer

    return LLMProposer(LLMConfig(model=cfg.proposer, api_base=cfg.api_base, temperature=cfg.temperature,
                                 min_p=cfg.min_p, max_tokens=cfg.max_tokens))
