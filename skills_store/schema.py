"""The records the memory backend keeps. It knows nothing about ARC or terminals: a skill is code
plus a description, and `kind` is an opaque label chosen by the caller.

Schema versions: bump SCHEMA_VERSION when a field changes meaning; `bundle.py` refuses bundles from
a newer version and upgrades older ones.
"""
from __future__ import annotations

import ast
import hashlib
import re
import threading
import time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SCHEMA_VERSION = 1

Mode = Literal["sample", "refine"]
Source = Literal["seed", "solved", "hindsight"]

_NAMESPACE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")
MAX_CODE_CHARS = 200_000
MAX_DESCRIPTION_CHARS = 20_000


# CPython 3.11 keeps the AST converter's recursion counter in interpreter-wide state, so two
# threads parsing at once (tasks searched concurrently) can fail with a spurious "AST constructor
# recursion depth mismatch" SystemError (python/cpython#106905): parses run one at a time.
_AST_LOCK = threading.Lock()


def normalise_code(code: str) -> str:
    """Formatting-insensitive form used for dedup. Python source is canonicalised through its AST
    (comments, blank lines, indentation width and quoting do not matter); anything else (shell
    scripts, fragments that do not parse) falls back to stripping trailing spaces and blank lines."""
    try:
        with _AST_LOCK:
            return ast.unparse(ast.parse(code))
    except (SyntaxError, ValueError, RecursionError):
        lines = [ln.rstrip() for ln in code.replace("\r\n", "\n").split("\n")]
        return "\n".join(ln for ln in lines if ln.strip())


def code_hash(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode("utf-8")).hexdigest()[:32]


def text_hash(code: str) -> str:
    """Hash of the exact text, for programs whose text is canonical already (rendered from DSL
    steps): `code_hash` would parse and unparse it for the same answer."""
    return hashlib.blake2b(code.encode("utf-8"), digest_size=16).hexdigest()


def validate_namespace(ns: str) -> str:
    if not isinstance(ns, str) or not _NAMESPACE_RE.match(ns):
        raise ValueError(
            f"invalid namespace {ns!r}: use 1-63 letters, digits, '_' or '-', starting with a letter or digit"
        )
    return ns


class SkillIn(BaseModel):
    """What a caller hands to `SkillStore.add`. Ids, hashes and counters are the store's business."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=MAX_CODE_CHARS)
    description: str = Field(min_length=1, max_length=MAX_DESCRIPTION_CHARS)
    kind: str = Field(default="code", min_length=1, max_length=64)
    source: Source = "solved"
    signature: str = Field(default="", max_length=500)
    origin_task_id: str | None = None
    origin_attempt_id: str | None = None
    iteration: int = Field(default=0, ge=0)
    output_signature: str | None = Field(default=None, max_length=128)
    supersedes: str | None = None
    tags: list[str] = Field(default_factory=list)
    # small caller-defined facts (e.g. a structured form of the program the caller can rebuild
    # without executing the code); scalar values only so they fit Chroma metadata too.
    meta: dict[str, str | int | float | bool] = Field(default_factory=dict)

    @field_validator("code", "description")
    @classmethod
    def _no_nul(cls, v: str) -> str:
        if "\x00" in v:
            raise ValueError("must not contain NUL characters")
        return v

    def embed_text(self) -> str:
        """What gets embedded: the description plus a short signature (code is stored verbatim but
        not embedded: descriptions retrieve far better than raw source with MiniLM)."""
        return f"{self.description}\n{self.signature}".strip()


class Skill(SkillIn):
    """A stored skill: immutable content plus the live counters read from SQLite."""

    model_config = ConfigDict(extra="ignore")

    schema_version: int = SCHEMA_VERSION
    id: str
    namespace: str = "default"
    content_hash: str
    created_at: float = Field(default_factory=time.time)
    superseded_by: str | None = None
    sampling_ema: float = 0.0
    sampling_uses: int = 0
    refine_ema: float = 0.0
    refine_uses: int = 0
    last_used: float | None = None


class ScoredSkill(BaseModel):
    skill: Skill
    similarity: float
    prior_mean: float
    posterior: float
    exploration: float
    score: float


class AddResult(BaseModel):
    added: list[str] = Field(default_factory=list)
    duplicates: dict[int, str] = Field(
        default_factory=dict, description="index in the input batch -> id of the existing skill it duplicates"
    )


class Event(BaseModel):
    seq: int
    ts: float
    skill_id: str
    kind: str
    payload: dict
