"""An in-process model as a litellm custom provider, so the local model is "just another model
string" next to API models and `hosted_vllm/...`:

    local/smollm2                       the packaged SmolLM2-135M-Instruct
    local/smollm2+/path/to/adapter      ... with a peft LoRA adapter on top
    local//abs/path/to/checkpoint       any local causal-LM checkpoint directory (same `+adapter` form)

Sampling parameters come through litellm's `optional_params` (temperature, top_p, max_tokens, n,
seed; `min_p` and `device` as extra keyword arguments). Weights load once per process
(`models.loader`).
"""
from __future__ import annotations

import threading
import time
import uuid

PROVIDER = "local"
ADAPTER_SEP = "+"

_register_lock = threading.Lock()


def parse_local_model(model: str, device: str = "cpu"):
    """'smollm2+/x/adapter' (the part after `local/`) -> ModelSpec."""
    from ..models.loader import ModelSpec

    if model.startswith(PROVIDER + "/"):
        model = model[len(PROVIDER) + 1 :]
    base, sep, adapter = model.partition(ADAPTER_SEP)
    if not base:
        raise ValueError(f"empty base model in local model string {model!r}")
    if sep and not adapter:
        raise ValueError(f"empty adapter path after '{ADAPTER_SEP}' in local model string {model!r}")
    return ModelSpec(base=base, adapter=adapter or None, device=device)


def _make_handler_class():
    from litellm import CustomLLM
    from litellm.types.utils import Choices, Message, ModelResponse, Usage

    from ..models.generation import SamplingConfig, generate
    from ..models.loader import load

    class LocalModelProvider(CustomLLM):
        def completion(self, model: str, messages: list, *args, optional_params: dict | None = None, **kwargs):
            p = dict(optional_params or {})
            extra = p.pop("extra_body", None) or {}
            p.update(extra)
            spec = parse_local_model(model, device=str(p.get("device", "cpu")))
            cfg = SamplingConfig(
                max_new_tokens=int(p.get("max_tokens") or p.get("max_completion_tokens") or 256),
                temperature=float(p["temperature"]) if p.get("temperature") is not None else 1.0,
                top_p=float(p["top_p"]) if p.get("top_p") is not None else None,
                min_p=float(p["min_p"]) if p.get("min_p") is not None else None,
                n=int(p.get("n") or 1),
                seed=int(p["seed"]) if p.get("seed") is not None else None,
            )
            result = generate(load(spec), messages, cfg)
            choices = [
                Choices(index=i, finish_reason=c.finish_reason, message=Message(role="assistant", content=c.text))
                for i, c in enumerate(result.completions)
            ]
            completion_tokens = sum(c.completion_tokens for c in result.completions)
            return ModelResponse(
                id=f"local-{uuid.uuid4().hex[:16]}",
                created=int(time.time()),
                model=f"{PROVIDER}/{model}",
                object="chat.completion",
                choices=choices,
                usage=Usage(
                    prompt_tokens=result.prompt_tokens,
                    completion_tokens=completion_tokens,
                    total_tokens=result.prompt_tokens + completion_tokens,
                ),
            )

        async def acompletion(self, model: str, messages: list, *args, **kwargs):
            import asyncio

            return await asyncio.to_thread(self.completion, model, messages, *args, **kwargs)

    return LocalModelProvider


def register_local_provider() -> None:
    """Idempotently add the `local/` provider to litellm.custom_provider_map."""
    import litellm

    with _register_lock:
        if any(item.get("provider") == PROVIDER for item in litellm.custom_provider_map):
            return
        handler = _make_handler_class()()
        litellm.custom_provider_map = [*litellm.custom_provider_map, {"provider": PROVIDER, "custom_handler": handler}]
        from litellm.utils import custom_llm_setup

        # completion() also calls this, but only on some paths; doing it here makes the provider
        # known to get_llm_provider immediately.
        custom_llm_setup()
