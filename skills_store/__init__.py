"""skills_store: the memory backend. Skills (code + description) in Chroma, counters and history in
SQLite. Knows nothing about ARC or Terminal-Bench."""
from .config import EmaConfig, RankingConfig, StoreConfig
from .errors import BundleError, InvalidInputError, SkillNotFoundError, StoreError, StoreLockedError
from .schema import AddResult, Event, ScoredSkill, Skill, SkillIn, code_hash

__all__ = [
    "SkillStore", "StoreConfig", "EmaConfig", "RankingConfig", "Skill", "SkillIn", "ScoredSkill",
    "AddResult", "Event", "StoreError", "StoreLockedError", "SkillNotFoundError", "InvalidInputError",
    "BundleError", "code_hash",
]


def __getattr__(name: str):
    # SkillStore pulls in chromadb; keep `import skills_store` light for the CLI.
    if name == "SkillStore":
        from .store import SkillStore

        return SkillStore
    raise AttributeError(name)
