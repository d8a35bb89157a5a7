"""WriteBehindIndex: the vector index with adds applied in the background, a batch at a time.

Why: a Chroma `add` costs about the same whether it carries one vector or ten, and its Rust core
holds the GIL for all of it; in a server under concurrent load that fixed cost, paid per request,
stalls every other request thread. Here `add` only puts the vectors in an in-memory buffer; one
writer thread moves everything buffered into Chroma in one call, at most every `delay_s`.

Nothing is lost or hidden meanwhile:
- `query` searches Chroma and, exactly (one dot product), the buffered vectors, and merges the two
  by distance: a search right after a record sees it.
- the ledger (SQLite) stays the source of truth: the store calls `add` inside its transaction,
  just before the commit (a vector whose commit then fails has no ledger row, and retrieval skips
  ids without one); vectors still buffered at a crash are re-embedded and indexed by the store's
  repair on the next open.
- a failed Chroma write keeps its vectors buffered (still searchable), is logged, and is retried.
- `flush()` waits until what was added before it is in Chroma; `close()` writes everything, then
  stops the writer.

Embed-behind (`add_texts`, given an `embedder`): the writer also computes the vectors, a window's
texts at a time, so a server's record returns without waiting for the model. The model is most of
a record's CPU, and inside the store's serial commit records queued behind each other's
embeddings while cores sat idle; off the request's path the cores fill up (figures: README,
"Memory server"). The price: a skill added this way is found by searches only once the writer has
embedded it (the ledger has it at once: `get`, dedup and counters never wait); `flush()` waits for
it. A writer that falls behind is helped: past `max_backlog` waiting texts the store embeds in the
request again.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any

import numpy as np

from .errors import StoreError
from .exact import exact_hits, unit_rows
from .index import Hit, VectorIndex

log = logging.getLogger(__name__)


class WriteBehindIndex:
    """A VectorIndex (index.py) over another one, buffering adds; with an `embedder` it also takes
    texts to embed (`add_texts`, `has_room`)."""

    def __init__(self, inner: VectorIndex, delay_s: float = 0.25, retry_s: float = 1.0, embedder: Any = None,
                 embed_chunk: int = 16, max_backlog: int = 64):
        if delay_s <= 0:
            raise ValueError(f"write-behind delay must be > 0 seconds, got {delay_s}")
        self.inner = inner
        self.delay_s = delay_s
        self.retry_s = retry_s
        # Its own model instance (not a server's merging embedder), so the writer's batches never
        # hold up a request's embedding; `embed(texts) -> (n, DIM)` array.
        self.embedder = embedder
        # Texts are embedded `embed_chunk` per model call: big chunks hold the cores long enough to
        # delay the searches' own embeddings. At `max_backlog` waiting texts `has_room` says no and
        # the store embeds in the request instead: a writer that cannot keep up would otherwise let
        # the backlog, and the time until a new skill is searchable, grow without bound.
        self.embed_chunk = embed_chunk
        self.max_backlog = max_backlog
        self._pending: dict[str, dict[str, np.ndarray]] = {}  # namespace -> id -> vector, oldest first
        self._texts: dict[str, dict[str, str]] = {}  # namespace -> id -> text still to embed
        self._cv = threading.Condition()
        self._closed = False
        self._hurry = False
        self.writes = 0  # Chroma add calls made (a batch each)
        self.last_error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="soar-index-writer", daemon=True)
        self._thread.start()

    @property
    def client(self):
        return self.inner.client

    def pending(self, namespace: str | None = None) -> int:
        """Added but not yet in Chroma (vectors buffered, and texts still to embed)."""
        with self._cv:
            return sum(len(d) for buf in (self._pending, self._texts) for ns, d in buf.items() if namespace in (None, ns))

    def _idle(self) -> bool:
        return not any(self._pending.values()) and not any(self._texts.values())

    def _backlog(self) -> int:
        return sum(len(d) for d in self._texts.values())

    def has_room(self) -> bool:
        """Whether `add_texts` may take more (fewer than `max_backlog` texts wait to be embedded)."""
        with self._cv:
            return self._backlog() < self.max_backlog

    # ---- writes
    def add(self, namespace: str, ids: list[str], embeddings: np.ndarray) -> None:
        vecs = np.asarray(embeddings, dtype=np.float32)
        if len(ids) != len(vecs):
            raise ValueError(f"{len(ids)} ids but {len(vecs)} embeddings")
        self._put(self._pending, namespace, ids, list(vecs))

    def add_texts(self, namespace: str, ids: list[str], texts: list[str]) -> None:
        """Index `texts` under `ids` later: the writer embeds them with the next batch. Not
        searchable until then (`flush()` waits for it)."""
        if self.embedder is None:
            raise StoreError("add_texts needs a WriteBehindIndex made with an embedder")
        if len(ids) != len(texts):
            raise ValueError(f"{len(ids)} ids but {len(texts)} texts")
        self._put(self._texts, namespace, ids, texts)

    def _put(self, buf: dict, namespace: str, ids: list[str], items: list) -> None:
        with self._cv:
            if self._closed:
                raise StoreError("the vector index is closed")
            buf.setdefault(namespace, {}).update(zip(ids, items))
            self._cv.notify_all()

    def delete(self, namespace: str, ids: list[str]) -> None:
        with self._cv:
            for buf in (self._pending, self._texts):
                d = buf.get(namespace, {})
                for i in ids:
                    d.pop(i, None)
            self._cv.notify_all()  # a flush may be waiting for them
        self.inner.delete(namespace, ids)

    def _run(self) -> None:
        while True:
            with self._cv:
                self._cv.wait_for(lambda: self._closed or not self._idle())
                if self._idle():
                    return  # closed, nothing left
                # gather: every add in this window goes into the same Chroma call (flush and
                # close cut the wait short)
                self._cv.wait_for(lambda: self._closed or self._hurry or self._backlog() >= self.max_backlog // 2,
                                  self.delay_s)
                self._hurry = False
                closing = self._closed
            if self._write_once():
                continue
            if closing:
                return  # a write that keeps failing must not hang close(): the ledger has the rows
            with self._cv:
                self._cv.wait_for(lambda: self._closed, self.retry_s)

    def _write_once(self) -> bool:
        ok = self._embed_once()
        with self._cv:
            batches = {ns: dict(d) for ns, d in self._pending.items() if d}
        for ns, batch in batches.items():
            try:
                self.inner.add(ns, list(batch), np.stack(list(batch.values())))
            except Exception as e:  # noqa: BLE001 - kept buffered (searchable) and retried
                ok = self._failed(e, "writing %d vectors to namespace %r failed (%s); kept in memory, will retry", len(batch), ns)
                continue
            with self._cv:
                self.writes += 1
                d = self._pending.get(ns, {})
                for i, v in batch.items():
                    if d.get(i) is v:  # not replaced meanwhile
                        del d[i]
                self._cv.notify_all()
        if ok:
            self.last_error = None
        return ok

    def _failed(self, e: BaseException, what: str, n: int, ns: str) -> bool:
        """Remember and log a failed background step (the caller keeps its items and retries); False."""
        self.last_error = e
        log.warning("vector index: " + what, n, ns, e)
        return False

    def _embed_once(self) -> bool:
        """Move the texts waiting now into the vector buffer, `embed_chunk` per model call."""
        with self._cv:
            waiting = [(ns, list(d.items())) for ns, d in self._texts.items() if d]
        batches = [(ns, dict(items[i : i + self.embed_chunk])) for ns, items in waiting
                   for i in range(0, len(items), self.embed_chunk)]
        ok = True
        for ns, batch in batches:
            try:
                vecs = np.asarray(self.embedder.embed(list(batch.values())), dtype=np.float32)
                if len(vecs) != len(batch):
                    raise RuntimeError(f"the embedder returned {len(vecs)} vectors for {len(batch)} texts")
            except Exception as e:  # noqa: BLE001 - kept waiting (in the ledger anyway) and retried
                ok = self._failed(e, "embedding %d texts for namespace %r failed (%s); will retry", len(batch), ns)
                continue
            with self._cv:
                texts = self._texts.get(ns, {})
                vectors = self._pending.setdefault(ns, {})
                for (i, t), v in zip(batch.items(), vecs):
                    if texts.get(i) is t:  # not deleted or replaced meanwhile
                        del texts[i]
                        vectors[i] = v
                self._cv.notify_all()  # a flush may be waiting for them
        return ok

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything added so far is in Chroma (not what others add meanwhile: under
        steady load the buffer is never empty); False if `timeout` ran out first."""
        with self._cv:
            waiting = [(ns, i) for buf in (self._pending, self._texts) for ns, d in buf.items() for i in d]
            self._hurry = True
            self._cv.notify_all()
            # an id moves from texts to vectors under the lock, so it is never in neither meanwhile
            return self._cv.wait_for(lambda: not any(
                i in self._pending.get(ns, ()) or i in self._texts.get(ns, ()) for ns, i in waiting), timeout)

    def close(self, timeout: float = 30.0) -> None:
        with self._cv:
            self._closed = True
            self._cv.notify_all()
        self._thread.join(timeout)
        left = self.pending()
        if left:
            log.warning("vector index: %d skills not indexed at close (%s); the next open re-indexes them from the ledger",
                        left, self.last_error)

    # ---- reads
    def count(self, namespace: str) -> int:
        return self.inner.count(namespace) + self.pending(namespace)

    def existing(self, namespace: str, ids: list[str]) -> set[str]:
        with self._cv:
            buffered = {i for i in ids if i in self._pending.get(namespace, {}) or i in self._texts.get(namespace, {})}
        return buffered | self.inner.existing(namespace, [i for i in ids if i not in buffered])

    def query(self, namespace: str, embedding: np.ndarray, n: int) -> list[Hit]:
        if n <= 0:
            return []
        with self._cv:
            buffered = dict(self._pending.get(namespace, {}))
        hits = self.inner.query(namespace, embedding, n)
        if not buffered:
            return hits
        # Buffered vectors may have reached Chroma between the copy and the query: keep one of each.
        seen = {h.id for h in hits}
        ids = [i for i in buffered if i not in seen]
        if ids:
            hits = hits + exact_hits(ids, unit_rows(np.stack([buffered[i] for i in ids])), embedding, len(ids))
        return sorted(hits, key=lambda h: h.distance)[:n]
