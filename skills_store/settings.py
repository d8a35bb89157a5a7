"""The process environment the store depends on, resolved in one place: the offline/telemetry
defaults for the libraries it loads, and the directories and variables that say where things live.

    SOAR_STORE          default store location         (else DATA_DIR/store)
    SOAR_CACHE_DIR      cache root (ONNX model export)  (else $XDG_CACHE_HOME or ~/.cache, /mechacoder-soar)
    SOAR_EMBED_BACKEND  onnx | torch | auto             (else the caller's choice)
    XDG_DATA_HOME       data root                       (else ~/.local/share), /mechacoder-soar

`skills_store` is the bottom layer and cannot read `mechacoder_soar`'s settings, so the shared
parts live here and `mechacoder_soar/settings.py` builds on them (adding what only it needs).
"""
from __future__ import annotations

import os
from pathlib import Path

APP = "mechacoder-soar"

# Set before the libraries read them: Hugging Face and transformers must never try the network
# (the model comes from a package), tokenizers must not fork-warn, Chroma must not phone home.
ENV_DEFAULTS = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "ANONYMIZED_TELEMETRY": "False",
}


def apply_env_defaults(defaults: dict[str, str] = ENV_DEFAULTS) -> None:
    """Set each variable the user has not set (never overrides an explicit value)."""
    for key, value in defaults.items():
        os.environ.setdefault(key, value)


def data_dir() -> Path:
    """Where persistent data lives by default: $XDG_DATA_HOME/mechacoder-soar."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / APP


def cache_dir() -> Path:
    """Where rebuildable caches live: $SOAR_CACHE_DIR, else $XDG_CACHE_HOME/mechacoder-soar."""
    base = os.environ.get("SOAR_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), APP)
    return Path(base)


def store_location() -> str:
    """The store used when none is named: $SOAR_STORE, else DATA_DIR/store."""
    return os.environ.get("SOAR_STORE") or str(data_dir() / "store")


def embed_backend(requested: str) -> str:
    """The embedding backend asked for: $SOAR_EMBED_BACKEND when set, else `requested`."""
    return os.environ.get("SOAR_EMBED_BACKEND", "").strip().lower() or requested
