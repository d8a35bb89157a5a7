"""The vector index's interface: what the store asks of any index (Chroma's, the exact copy, the
write-behind buffer), so the layers can wrap each other and the store holds any of them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np


@dataclass
class Hit:
    id: str
    distance: float  # Chroma's cosine distance, 1 - cos, whichever index answered
    embedding: np.ndarray | None


@runtime_checkable
class VectorIndex(Protocol):
    """One collection of (id, unit vector) per namespace. Adds of an id already present change
    nothing; `query` returns at most `n` hits, nearest first."""

    @property
    def client(self) -> Any:
        """The Chroma client underneath (snapshots and benchmarks read its collections)."""
        ...

    def add(self, namespace: str, ids: list[str], embeddings: np.ndarray) -> None: ...

    def delete(self, namespace: str, ids: list[str]) -> None: ...

    def count(self, namespace: str) -> int: ...

    def existing(self, namespace: str, ids: list[str]) -> set[str]: ...

    def query(self, namespace: str, embedding: np.ndarray, n: int) -> list[Hit]: ...

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every add so far is searchable in Chroma; False if `timeout` ran out."""
        ...

    def close(self) -> None: ...
