"""mechacoder-soar: domain and engines.

The process environment defaults (`settings.py`: offline model hubs, no telemetry, litellm's
local cost map) are applied here, before any module of the package can import those libraries.
"""
from .settings import apply_env_defaults as _apply_env_defaults

__version__ = "0.1.0"
_apply_env_defaults()
