"""ChromaIndex: the persistent vector index, Chroma embedded (`PersistentClient`) or a server
(`HttpClient`).

One collection per namespace, because a `where` filter over a large collection is far slower than
a query of a separate one. Embeddings are always passed in (never Chroma's default embedding
function, which downloads a model).
"""
from __future__ import annotations

from urllib.parse import urlparse

import numpy as np

from .embedding import DIM
from .index import Hit


def collection_name(namespace: str) -> str:
    return f"skills__{namespace}"


class ChromaIndex:
    """A VectorIndex (index.py) on Chroma; also reads a namespace's every vector (`all_vectors`)."""

    def __init__(self, location: str):
        import chromadb
        from chromadb.config import Settings

        settings = Settings(anonymized_telemetry=False, allow_reset=False)
        if location.startswith(("http://", "https://")):
            u = urlparse(location)
            try:
                self._client = chromadb.HttpClient(
                    host=u.hostname or "127.0.0.1", port=u.port or 8000, ssl=u.scheme == "https", settings=settings
                )
            except ValueError as e:
                # chromadb's own message does not say which server it tried.
                from .errors import StoreError

                raise StoreError(
                    f"cannot reach the Chroma server at {location} ({e}); start one with "
                    "`chroma run --path DIR --host HOST --port PORT`, or pass a directory for an embedded store"
                ) from None
        else:
            self._client = chromadb.PersistentClient(path=location, settings=settings)
        self._cols: dict[str, object] = {}

    def _col(self, namespace: str):
        col = self._cols.get(namespace)
        if col is None:
            col = self._client.get_or_create_collection(
                collection_name(namespace),
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
            )
            self._cols[namespace] = col
        return col

    def _batch(self) -> int:
        """Chroma caps one call at its max batch size."""
        return max(1, min(5000, getattr(self._client, "get_max_batch_size", lambda: 5000)()))

    def add(self, namespace: str, ids: list[str], embeddings: np.ndarray) -> None:
        """Vectors only: the ledger holds every skill's text and fields, and filters run there, so
        documents or metadata here would be a second copy that nothing reads (and Chroma indexes
        documents for full-text search on every add, a large share of an add's time)."""
        col = self._col(namespace)
        step = self._batch()
        for i in range(0, len(ids), step):
            col.add(ids=ids[i : i + step], embeddings=embeddings[i : i + step])

    def flush(self, timeout: float | None = None) -> bool:
        """Every add is written when it returns (WriteBehindIndex is the one that buffers)."""
        return True

    @property
    def client(self):
        return self._client

    def close(self) -> None:
        pass

    def delete(self, namespace: str, ids: list[str]) -> None:
        if ids:
            self._col(namespace).delete(ids=ids)

    def count(self, namespace: str) -> int:
        return self._col(namespace).count()

    def all_vectors(self, namespace: str) -> tuple[list[str], np.ndarray]:
        """Every (id, vector) of the namespace, read in pages of Chroma's batch size."""
        col = self._col(namespace)
        step = self._batch()
        ids: list[str] = []
        vecs: list[np.ndarray] = []
        while True:
            page = col.get(include=["embeddings"], limit=step, offset=len(ids))
            if not page["ids"]:
                break
            ids += page["ids"]
            vecs.append(np.asarray(page["embeddings"], dtype=np.float32))
        return ids, (np.concatenate(vecs) if vecs else np.zeros((0, DIM), dtype=np.float32))

    def existing(self, namespace: str, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        return set(self._col(namespace).get(ids=ids, include=[])["ids"])

    def query(self, namespace: str, embedding: np.ndarray, n: int) -> list[Hit]:
        col = self._col(namespace)
        if n <= 0:
            return []
        # Chroma returns fewer hits when the collection holds fewer than n (empty: none), so no
        # count() round trip per query.
        res = col.query(query_embeddings=[embedding], n_results=n, include=["distances", "embeddings"])
        embs = res.get("embeddings")
        out = []
        for j, (i, d) in enumerate(zip(res["ids"][0], res["distances"][0])):
            e = np.asarray(embs[0][j], dtype=np.float32) if embs is not None else None
            out.append(Hit(i, float(d), e))
        return out
