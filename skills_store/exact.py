"""ExactIndex: the vector index with an in-memory copy of each namespace's vectors, searched exactly.

Why: Chroma's HNSW is approximate, and it does not return some stored vectors that lie far from
everything else, even for a search with their own exact text; a memory should find what it was
told. Up to `max_vectors` per namespace a brute-force dot product is also cheaper than Chroma's
query, and runs outside the GIL (figures: README, "Memory server").

Chroma stays the persistent index (adds, deletes and counts go to it); the copy is loaded from it
on a namespace's first search and kept in step with this process's adds and deletes. That is only
sound while this process is the one writer, so the store uses it for embedded (directory) stores,
never for a Chroma server that other processes may write to. A namespace above `max_vectors` is
searched by Chroma's HNSW.
"""
from __future__ import annotations

import threading

import numpy as np

from .index import Hit
from .vectors import ChromaIndex


class _Matrix:
    """Unit-norm rows with their ids; appends grow capacity geometrically, so a search can use a
    view of the first `n` rows while an add writes past them."""

    def __init__(self, ids: list[str], vecs: np.ndarray):
        self.ids = list(ids)
        self.pos = {i: k for k, i in enumerate(self.ids)}
        self.rows = unit_rows(vecs)
        self.n = len(self.ids)

    def add(self, ids: list[str], vecs: np.ndarray) -> None:
        vecs = unit_rows(vecs)
        fresh = [(i, v) for i, v in zip(ids, vecs) if i not in self.pos]  # Chroma ignores re-adds too
        if not fresh:
            return
        need = self.n + len(fresh)
        if need > len(self.rows):
            grown = np.zeros((max(need, 2 * len(self.rows), 64), vecs.shape[1]), dtype=np.float32)
            grown[: self.n] = self.rows[: self.n]
            self.rows = grown  # a search holding the old array keeps a valid view
        for i, v in fresh:
            self.rows[self.n] = v
            self.pos[i] = self.n
            self.ids.append(i)
            self.n += 1

    def delete(self, ids: list[str]) -> None:
        gone = {self.pos[i] for i in ids if i in self.pos}
        if gone:
            keep = [k for k in range(self.n) if k not in gone]
            self.__init__([self.ids[k] for k in keep], self.rows[keep])


def unit_rows(vecs: np.ndarray) -> np.ndarray:
    v = np.atleast_2d(np.asarray(vecs, dtype=np.float32))
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


class ExactIndex:
    """A VectorIndex (index.py) over Chroma that searches from the in-memory copy."""

    def __init__(self, inner: ChromaIndex, max_vectors: int = 50_000):
        if max_vectors < 0:
            raise ValueError(f"exact search limit must be >= 0 vectors, got {max_vectors}")
        self.inner = inner
        self.max_vectors = max_vectors
        self._copies: dict[str, _Matrix | None] = {}  # None: too big, Chroma searches it
        self._lock = threading.Lock()

    @property
    def client(self):
        return self.inner.client

    def _copy(self, namespace: str) -> _Matrix | None:
        """The namespace's copy, loaded from Chroma on first use (None: above `max_vectors`).
        Loading holds the lock, so no add slips between the read and the first search; it happens
        once per namespace and process."""
        with self._lock:
            if namespace not in self._copies:
                n = self.inner.count(namespace)
                self._copies[namespace] = None if n > self.max_vectors else _Matrix(*self.inner.all_vectors(namespace))
            return self._copies[namespace]

    # ---- writes (Chroma first: a failed write leaves the copy as Chroma is)
    def add(self, namespace: str, ids: list[str], embeddings: np.ndarray) -> None:
        self.inner.add(namespace, ids, embeddings)
        with self._lock:
            m = self._copies.get(namespace)  # not loaded yet: the load will read these from Chroma
            if m is not None:
                m.add(ids, embeddings)  # ids a load already read are skipped
                if m.n > self.max_vectors:  # grew past the limit: Chroma searches it from now on
                    self._copies[namespace] = None

    def delete(self, namespace: str, ids: list[str]) -> None:
        self.inner.delete(namespace, ids)
        with self._lock:
            m = self._copies.get(namespace)
            if m is not None:
                m.delete(ids)

    def flush(self, timeout: float | None = None) -> bool:
        return self.inner.flush(timeout)

    def close(self) -> None:
        self.inner.close()

    # ---- reads
    def count(self, namespace: str) -> int:
        return self.inner.count(namespace)

    def existing(self, namespace: str, ids: list[str]) -> set[str]:
        return self.inner.existing(namespace, ids)

    def query(self, namespace: str, embedding: np.ndarray, n: int) -> list[Hit]:
        m = self._copy(namespace)
        if m is None:
            return self.inner.query(namespace, embedding, n)
        with self._lock:
            rows, ids, count = m.rows, m.ids, m.n
        return exact_hits(ids[:count], rows[:count], embedding, n)


def exact_hits(ids: list[str], rows: np.ndarray, query: np.ndarray, n: int) -> list[Hit]:
    """The `n` rows nearest to `query`, nearest first, as Hits with Chroma's cosine distance
    (1 - cos), so hits from either path rank alike. `rows` must be unit-norm (`unit_rows`)."""
    if n <= 0 or len(ids) == 0:
        return []
    q = np.asarray(query, dtype=np.float32)
    # einsum, not `@`: a multi-threaded BLAS (numpy's OpenBLAS) spins its threads after every
    # call, burning several times the search's own CPU; numpy's own loop does not
    sims = np.einsum("ij,j->i", rows, q / max(float(np.linalg.norm(q)), 1e-12))
    k = min(n, len(ids))
    top = np.argpartition(-sims, k - 1)[:k] if k < len(ids) else np.arange(len(ids))
    top = top[np.argsort(-sims[top], kind="stable")]
    return [Hit(ids[j], float(1.0 - sims[j]), rows[j].copy()) for j in top]
