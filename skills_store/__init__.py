"""skills_store: the memory backend. Skills (code + description) in Chroma, counters and history in
SQLite. Knows nothing about ARC or Terminal-Bench.

The process environment defaults (`settings.py`) are applied here, the one place every store
module passes through first. The public names load on first use: `import skills_store` stays
light for the CLI (the schema pulls in pydantic, the store chromadb).
"""
from . import settings as _settings

_settings.apply_env_defaults()

_EXPORTS = {
    "SkillStore": "store", "StoreConfig": "config", "EmaConfig": "config", "RankingConfig": "config",
    "Skill": "schema", "SkillIn": "schema", "ScoredSkill": "schema", "AddResult": "schema", "Event": "schema",
    "code_hash": "schema", "StoreError": "errors", "StoreLockedError": "errors", "SkillNotFoundError": "errors",
    "InvalidInputError": "errors", "BundleError": "errors",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
