"""Process-wide cache of loaded causal LMs (+ optional LoRA adapter): a model is loaded once per
process and shared by every caller (the litellm provider, the proposer, the distillation eval).

Loading is guarded by a lock so two threads asking for the same model do not both pay for it.
Generation on a shared model is serialised by `LoadedModel.lock` (torch modules are not safe to
call with different sampling RNG state from several threads at once).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .smollm2 import ModelNotAvailable, resolve_base_model


@dataclass(frozen=True)
class ModelSpec:
    base: str = "smollm2"  # `smollm2`, a local checkpoint dir, or an HF id in the local cache
    adapter: str | None = None  # a peft LoRA adapter directory
    device: str = "cpu"
    # None: bf16 on CUDA, fp32 on CPU (bf16 matmuls are slow on most CPUs)
    dtype: str | None = None


@dataclass
class LoadedModel:
    spec: ModelSpec
    model: Any
    tokenizer: Any
    lock: threading.Lock = field(default_factory=threading.Lock)


_cache: dict[ModelSpec, LoadedModel] = {}
_cache_lock = threading.Lock()


def torch_dtype(spec_dtype: str | None, device: str):
    import torch

    if spec_dtype is None:
        return torch.bfloat16 if device.startswith("cuda") else torch.float32
    try:
        return {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16,
                "bf16": torch.bfloat16, "float16": torch.float16, "fp16": torch.float16}[spec_dtype]
    except KeyError:
        raise ValueError(f"unknown dtype {spec_dtype!r}: use float32, bfloat16 or float16") from None


def check_device(device: str) -> None:
    """Refuse clearly when GPU work is asked for on a machine without one."""
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise RuntimeError(
                f"device {device!r} requested but torch sees no CUDA GPU on this machine "
                f"(torch {torch.__version__}); use --device cpu"
            )
    elif device != "cpu" and not device.startswith("mps"):
        raise ValueError(f"unknown device {device!r}: use cpu or cuda[:N]")


def load(spec: ModelSpec) -> LoadedModel:
    with _cache_lock:
        hit = _cache.get(spec)
        if hit is not None:
            return hit
        loaded = _load_uncached(spec)
        _cache[spec] = loaded
        return loaded


def _load_uncached(spec: ModelSpec) -> LoadedModel:
    check_device(spec.device)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base = resolve_base_model(spec.base)
    try:
        tokenizer = AutoTokenizer.from_pretrained(base)
        model = AutoModelForCausalLM.from_pretrained(base, dtype=torch_dtype(spec.dtype, spec.device))
    except OSError as e:  # not a directory and not in the offline HF cache
        raise ModelNotAvailable(f"cannot load base model {spec.base!r} locally: {e}") from e
    if spec.adapter:
        if not (Path(spec.adapter) / "adapter_config.json").is_file():
            raise ModelNotAvailable(f"{spec.adapter!r} is not a peft adapter directory (no adapter_config.json)")
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, spec.adapter)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.to(spec.device)
    model.eval()
    return LoadedModel(spec=spec, model=model, tokenizer=tokenizer)


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
