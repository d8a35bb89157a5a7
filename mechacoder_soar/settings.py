"""The process environment mechacoder_soar depends on, resolved in one place. It builds on
`skills_store/settings.py` (the bottom layer's, which cannot import this one) and adds:

    SOAR_MODEL_CACHE    converted local models          (else DATA_DIR/models)
    LITELLM_LOCAL_MODEL_COST_MAP=True                   (litellm tries the network at import without it)
"""
from __future__ import annotations

import os
from pathlib import Path

from skills_store import settings as store_settings
from skills_store.settings import cache_dir, data_dir, store_location

__all__ = ["ENV_DEFAULTS", "MODEL_CACHE_ENV", "apply_env_defaults", "cache_dir", "data_dir", "models_cache_root",
           "store_location"]

ENV_DEFAULTS = {**store_settings.ENV_DEFAULTS, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
MODEL_CACHE_ENV = "SOAR_MODEL_CACHE"


def apply_env_defaults() -> None:
    """Set each variable of ENV_DEFAULTS the user has not set."""
    store_settings.apply_env_defaults(ENV_DEFAULTS)


def models_cache_root() -> Path:
    """Root of converted-model caches: $SOAR_MODEL_CACHE, else DATA_DIR/models."""
    env = os.environ.get(MODEL_CACHE_ENV)
    return Path(env).expanduser() if env else data_dir() / "models"
