"""A read-only copy of one namespace of the skill library, shipped to remote search workers.

Why a snapshot and not a connection: during the search phase of an iteration nothing writes to the
library (learning happens centrally, after every task of the iteration is searched), so a copy
taken when the iteration starts answers every retrieval exactly as the central store would. A
worker then needs neither the ledger (SQLite, owned by the one memory service) nor a route to it.

Retrieval mirrors `SkillStore.retrieve`: the same over-fetch, the same filters, the same
`skills_store.ranking.rank` with the same configs; the only difference is that the nearest
neighbours are found by an exact dot product instead of Chroma's HNSW (identical for the library
sizes a run ships; at 100k+ skills ship a server URL instead, see docs/distributed.md).

Query embeddings: the driver pre-computes the ones it can predict (a task's sampling query) and
ships them; anything else (a refinement query, which depends on execution feedback) is embedded on
the worker with the same offline MiniLM model, loaded on first need.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from skills_store.config import EmaConfig, RankingConfig
from skills_store.errors import InvalidInputError, SkillNotFoundError
from skills_store.ranking import Candidate, rank
from skills_store.schema import ScoredSkill, Skill


class ReadOnlyLibraryError(RuntimeError):
    """A search worker tried to write: learning is centralised in the driver."""


@dataclass
class LibrarySnapshot:
    namespace: str
    skills: list[Skill]                       # every skill of the namespace, superseded ones included
    embeddings: np.ndarray                    # (len(skills), DIM), L2-normalised, same order
    ranking: RankingConfig = field(default_factory=RankingConfig)
    ema: EmaConfig = field(default_factory=EmaConfig)
    query_vectors: dict[str, np.ndarray] = field(default_factory=dict)  # pre-embedded query texts
    embed_batch_size: int = 64

    def __post_init__(self) -> None:
        if len(self.skills) != len(self.embeddings):
            raise ValueError(f"snapshot has {len(self.skills)} skills but {len(self.embeddings)} embeddings")
        self._by_id = {s.id: i for i, s in enumerate(self.skills)}
        self._embedder = None

    # -- building ------------------------------------------------------------------------------
    @classmethod
    def of(cls, store: Any, queries: Iterable[str] = ()) -> "LibrarySnapshot":
        """Copy `store`'s namespace (a skills_store SkillStore, embedded or server-backed): the
        ledger's records with their counters, and the vectors Chroma holds for them."""
        from skills_store.vectors import collection_name

        from skills_store.embedding import DIM

        ns = store.namespace
        # First use of a namespace re-indexes ledger rows that never reached Chroma (a crash
        # between the two writes); stats() is the cheapest public call that triggers it.
        store.stats()
        store.vectors.flush()  # a server's store may still hold recent vectors in memory
        skills = list(store.ledger.iter_skills(ns, include_superseded=True))
        embs = np.zeros((len(skills), DIM), dtype=np.float32)
        if skills:
            col = store.vectors.client.get_collection(collection_name(ns), embedding_function=None)
            index = {s.id: i for i, s in enumerate(skills)}
            found = 0
            for i in range(0, len(skills), 1000):
                got = col.get(ids=[s.id for s in skills[i : i + 1000]], include=["embeddings"])
                for sid, e in zip(got["ids"], got["embeddings"]):
                    embs[index[sid]] = np.asarray(e, dtype=np.float32)
                    found += 1
            if found < len(skills):
                raise RuntimeError(f"namespace {ns!r}: only {found} of {len(skills)} ledger skills have vectors "
                                   f"in Chroma at {store.config.location}")
        qs = list(dict.fromkeys(q for q in queries if q))
        qv = dict(zip(qs, store.embedder.embed(qs))) if qs else {}
        return cls(namespace=ns, skills=skills, embeddings=embs, ranking=store.config.ranking,
                   ema=store.config.ema, query_vectors=qv, embed_batch_size=store.config.embed_batch_size)

    def with_queries(self, queries: dict[str, np.ndarray]) -> "LibrarySnapshot":
        """The same snapshot (shared arrays) plus more pre-embedded queries."""
        return LibrarySnapshot(self.namespace, self.skills, self.embeddings, self.ranking, self.ema,
                               {**self.query_vectors, **queries}, self.embed_batch_size)

    # -- the read API the search engines use ---------------------------------------------------------
    def _embed(self, text: str) -> np.ndarray:
        v = self.query_vectors.get(text)
        if v is not None:
            return v
        if self._embedder is None:
            from skills_store.embedding import Embedder

            self._embedder = Embedder(self.embed_batch_size)
        v = self._embedder.embed([text])[0]
        self.query_vectors[text] = v
        return v

    def _check_ns(self, namespace: str | None) -> None:
        if namespace and namespace != self.namespace:
            raise InvalidInputError(f"this snapshot holds namespace {self.namespace!r}, not {namespace!r}")

    def retrieve(self, query: str, mode: str = "sample", k: int = 5, *, kind: str | None = None,
                 source: str | None = None, exclude: Iterable[str] = (), namespace: str | None = None) -> list[ScoredSkill]:
        if mode not in ("sample", "refine"):
            raise InvalidInputError(f"mode must be 'sample' or 'refine', got {mode!r}")
        self._check_ns(namespace)
        if k <= 0 or not self.skills:
            return []
        rc = self.ranking
        n = max(k * rc.overfetch, rc.min_candidates)
        if kind or source:
            n *= 4
        sims = self.embeddings @ self._embed(query)
        n = min(n, len(self.skills))
        top = np.argpartition(-sims, n - 1)[:n] if n < len(sims) else np.arange(len(sims))
        top = top[np.argsort(-sims[top], kind="stable")]
        excluded = set(exclude)
        cands = []
        for i in top:
            s = self.skills[i]
            if s.superseded_by or s.id in excluded:
                continue
            if (kind and s.kind != kind) or (source and s.source != source):
                continue
            ema, uses = (s.sampling_ema, s.sampling_uses) if mode == "sample" else (s.refine_ema, s.refine_uses)
            cands.append(Candidate(s.id, float(sims[i]), s.source, ema, uses, self.embeddings[i]))
        return [
            ScoredSkill(skill=self.skills[self._by_id[r.id]], similarity=r.similarity, prior_mean=r.prior_mean,
                        posterior=r.posterior, exploration=r.exploration, score=r.score)
            for r in rank(cands, k, rc, self.ema)
        ]

    def retrieve_for_sampling(self, task_text: str, k: int = 5, **kw: Any) -> list[ScoredSkill]:
        return self.retrieve(task_text, "sample", k, **kw)

    def retrieve_for_refinement(self, task_text: str, attempt_text: str, k: int = 5, **kw: Any) -> list[ScoredSkill]:
        return self.retrieve(f"{task_text}\n{attempt_text}", "refine", k, **kw)

    def get(self, skill_id: str, namespace: str | None = None) -> Skill:
        self._check_ns(namespace)
        i = self._by_id.get(skill_id)
        if i is None:
            raise SkillNotFoundError(f"no skill {skill_id!r} in namespace {self.namespace!r} (snapshot)")
        return self.skills[i]

    def all(self, namespace: str | None = None, include_superseded: bool = False) -> list[Skill]:
        self._check_ns(namespace)
        return [s for s in self.skills if include_superseded or not s.superseded_by]

    def count(self, namespace: str | None = None) -> int:
        self._check_ns(namespace)
        return len(self.skills)

    def stats(self, namespace: str | None = None) -> dict:
        self._check_ns(namespace)
        return {"namespace": self.namespace, "skills": len(self.skills), "location": "snapshot"}

    # -- writes are the driver's job ---------------------------------------------------------------------
    def _refuse(self, *_: Any, **__: Any) -> None:
        raise ReadOnlyLibraryError(
            "a search worker's library is a read-only snapshot: learning (add, record_outcome, "
            "record_attempt) happens centrally in the driver after the iteration's search"
        )

    add = record_outcome = record_attempt = import_ = _refuse

    def __getstate__(self) -> dict:
        d = dict(self.__dict__)
        d["_embedder"] = None  # holds a lock; the worker makes its own
        return d
