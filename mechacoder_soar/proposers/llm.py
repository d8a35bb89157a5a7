"""A proposer backed by any litellm model string: API providers (`openai/...`, `anthropic/...`),
a vLLM OpenAI-compatible server (`hosted_vllm/<served-name>` + `api_base`), or the in-process
SmolLM2 (`local/smollm2`, `local/smollm2+/path/to/lora`).

Prompts and code extraction live in `prompts.py` and are shared with distillation.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from skills_store.schema import Skill

from ..domain import Attempt, Mode, Task
from .base import Proposal
from .prompts import DEFAULT_PROMPT_CONFIG, PromptConfig, build_messages, code_entry_point, extract_code

log = logging.getLogger(__name__)


@dataclass
class LLMConfig:
    model: str
    api_base: str | None = None
    temperature: float = 1.0
    min_p: float | None = None  # vLLM / local only; API providers reject it
    top_p: float | None = None
    max_tokens: int = 1024
    timeout_s: float = 120
    # completions per request; None asks for all n at once (OpenAI, vLLM, local). Use 1 for
    # providers without an `n` parameter (Anthropic): requests are then repeated.
    n_per_request: int | None = None
    num_retries: int = 2
    prompt: PromptConfig = field(default_factory=lambda: DEFAULT_PROMPT_CONFIG)
    extra: dict[str, Any] = field(default_factory=dict)  # passed to litellm.completion as is

    def __post_init__(self) -> None:
        if not self.model or not isinstance(self.model, str):
            raise ValueError("LLMConfig.model must be a litellm model string, e.g. 'local/smollm2'")
        if self.max_tokens < 1:
            raise ValueError(f"LLMConfig.max_tokens must be >= 1, got {self.max_tokens}")
        if self.temperature < 0:
            raise ValueError(f"LLMConfig.temperature must be >= 0, got {self.temperature}")
        if self.n_per_request is not None and self.n_per_request < 1:
            raise ValueError(f"LLMConfig.n_per_request must be >= 1 or None, got {self.n_per_request}")


class LLMProposer:
    def __init__(self, config: LLMConfig) -> None:
        self.config = config
        self.name = config.model

    # -- Proposer protocol
    def sample(self, task: Task, skills: list[Skill], n: int, seed: int = 0) -> list[Proposal]:
        return self._propose(task, skills, "sample", None, n, seed)

    def refine(self, task: Task, parent: Attempt, skills: list[Skill], n: int, seed: int = 0) -> list[Proposal]:
        return self._propose(task, skills, "refine", parent, n, seed)

    # -- internals
    def _propose(self, task: Task, skills: list[Skill], mode: Mode, parent: Attempt | None, n: int, seed: int) -> list[Proposal]:
        if n <= 0:
            return []
        task = task.public()
        messages = build_messages(task, skills, mode, parent, self.config.prompt)
        shown = [s.id for s in skills[: self.config.prompt.max_skills]]
        entry = code_entry_point(task) if task.kind == "code" else None
        proposals: list[Proposal] = []
        for text, finish in self.complete(messages, n, seed):
            code = extract_code(text, task.kind, entry_point=entry)
            meta = {"model": self.config.model, "mode": mode, "finish_reason": finish, "completion": text}
            # an unparsable completion is still an attempt (SOAR keeps every one): its raw text
            # goes to the journal as an error attempt, and REX may hand it back for repair
            proposals.append(Proposal(code=code if code is not None else text, context_skill_ids=list(shown),
                                      meta=meta, unparsed=code is None))
        unparsed = sum(p.unparsed for p in proposals)
        if unparsed:
            log.info("%s: %d of %d completions for %s had no usable program", self.name, unparsed, n, task.id)
        return proposals

    def complete(self, messages: list[dict], n: int, seed: int = 0) -> list[tuple[str, str]]:
        """n raw completions as (text, finish_reason)."""
        import litellm

        cfg = self.config
        if cfg.model.startswith("local/"):
            from .local_provider import register_local_provider

            register_local_provider()
        per = n if cfg.n_per_request is None else min(cfg.n_per_request, n)
        out: list[tuple[str, str]] = []
        request = 0
        while len(out) < n:
            k = min(per, n - len(out))
            kwargs: dict[str, Any] = dict(
                model=cfg.model,
                messages=messages,
                temperature=cfg.temperature,
                max_tokens=cfg.max_tokens,
                timeout=cfg.timeout_s,
                num_retries=cfg.num_retries,
                seed=seed + request,
                drop_params=True,  # e.g. `seed` for providers without it
            )
            if k > 1:
                kwargs["n"] = k
            if cfg.api_base:
                kwargs["api_base"] = cfg.api_base
            if cfg.top_p is not None:
                kwargs["top_p"] = cfg.top_p
            if cfg.min_p is not None:
                kwargs["min_p"] = cfg.min_p
            kwargs.update(cfg.extra)
            resp = litellm.completion(**kwargs)
            choices = list(resp.choices)
            if not choices:
                raise RuntimeError(f"{cfg.model} returned no choices")
            for ch in choices[:k]:
                out.append((ch.message.content or "", ch.finish_reason or ""))
            request += 1
        return out
