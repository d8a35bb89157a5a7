"""SkillStore: the memory backend's one public object (orchestration over ledger + vectors).

    ledger.py   SQLite: skill records, counters (both EMAs), event history — the source of truth
    index.py    the VectorIndex protocol the three indexes below implement (and wrap each other by)
    vectors.py  Chroma: embeddings of descriptions, for similarity search
    exact.py    (embedded stores) an in-memory copy of each namespace's vectors, searched exactly
    ranking.py  how retrieved candidates are ordered (formula documented there)
    ema.py      how outcomes move a skill's success rates
    bundle.py   versioned JSONL export / import
    coalesce.py concurrent adds committed together (one embedding call, transaction, Chroma add)
    write_behind.py  (servers) Chroma adds batched in the background; searches see them at once
                     (with embed-behind, once embedded: the writer embeds them too)

Write order for `add`: validate the whole batch first (bad input changes nothing), dedup, embed,
then insert into SQLite inside a transaction, add to Chroma (servers: to the write-behind buffer;
with embed-behind the texts go there and the writer embeds them), commit. If Chroma fails the
SQLite transaction rolls back; on open, any ledger rows missing from Chroma (a crash between the
two, or skills still buffered) are re-indexed.
"""
from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .coalesce import Coalescer
from .config import StoreConfig
from .embedding import Embedder, with_cache
from .errors import InvalidInputError, SkillNotFoundError
from .exact import ExactIndex
from .index import VectorIndex
from .ledger import Ledger
from .lock import DirectoryLock
from .ranking import Candidate, rank
from .schema import AddResult, Event, Mode, ScoredSkill, Skill, SkillIn, code_hash, validate_namespace
from .vectors import ChromaIndex
from .write_behind import WriteBehindIndex


def _ledger_dir(cfg: StoreConfig) -> Path:
    if not cfg.is_server:
        return Path(cfg.location)
    if cfg.ledger_dir:
        return Path(cfg.ledger_dir)
    from urllib.parse import urlparse

    from .config import default_data_dir

    u = urlparse(cfg.location)
    return default_data_dir() / "servers" / f"{u.hostname}_{u.port or 8000}"


class SkillStore:
    def __init__(self, config: StoreConfig | None = None, *, embedder: Embedder | None = None,
                 index_embedder: Any = None):
        """`embedder` embeds queries and (without embed-behind) new skills; `index_embedder` is the
        write-behind writer's under `index_embed_behind` (default: a model instance of its own)."""
        self.config = config or StoreConfig()
        validate_namespace(self.config.namespace)
        self.namespace = self.config.namespace
        self._lock = DirectoryLock(_ledger_dir(self.config))
        self._lock.acquire()
        try:
            self.ledger = Ledger(self._lock.directory / "ledger.sqlite")
            self.vectors, self._embeds_behind = _open_index(self.config, index_embedder)
        except BaseException:
            self._lock.release()
            raise
        self.embedder = embedder or with_cache(Embedder(self.config.embed_batch_size), self.config.embed_cache)
        self._repaired: set[str] = set()
        self._commits: Coalescer[tuple[SkillIn, dict | None], tuple[str, bool]] = Coalescer(self._commit)

    @classmethod
    def open(cls, location: str | Path | None = None, namespace: str = "default", **kw: Any) -> "SkillStore":
        base = StoreConfig()
        return cls(StoreConfig(location=str(location or base.location), namespace=namespace, **kw))

    def close(self) -> None:
        if self._lock.held:
            self.vectors.close()  # writes what is still buffered while the lock is held
            self.ledger.close()
            self._lock.release()

    def __enter__(self) -> "SkillStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _ns(self, namespace: str | None) -> str:
        ns = validate_namespace(namespace) if namespace else self.namespace
        if ns not in self._repaired:
            self._repaired.add(ns)
            self._repair(ns)
        return ns

    # -- write -----------------------------------------------------------------------------
    def add(self, skills: Iterable[SkillIn | dict], namespace: str | None = None, *, iteration_event: dict | None = None) -> AddResult:
        """Add a batch. Duplicates (same normalised code; for hindsight skills also the same
        output signature) are not stored again: their index maps to the existing id.
        Invalid input raises before anything is written."""
        ns = self._ns(namespace)
        batch: list[SkillIn] = []
        for i, s in enumerate(skills):
            try:
                batch.append(s if isinstance(s, SkillIn) else SkillIn.model_validate(s))
            except ValidationError as e:
                raise InvalidInputError(f"skill #{i} is invalid: {_explain(e)}") from None
        result = AddResult()
        if not batch:
            return result
        self._check_supersedes(ns, batch)
        # Concurrent adds (a server's request threads) are committed together: one embedding call,
        # one transaction, one Chroma add. A lone caller commits at once. (Embedding outside the
        # queue, to overlap the previous commit, is slower: the two fight over the same cores.)
        outcomes = self._commits.run(ns, [(s, iteration_event) for s in batch])
        for i, (sid, is_new) in enumerate(outcomes):
            if is_new:
                result.added.append(sid)
            else:
                result.duplicates[i] = sid
        return result

    def _check_supersedes(self, ns: str, batch: list[SkillIn]) -> None:
        """Before any commit, so one caller's bad reference never fails another's merged batch."""
        targets = [t for t in (s.supersedes for s in batch) if t]
        if targets:
            known = self.ledger.get_many(ns, targets)
            for t in targets:
                if t not in known:
                    raise InvalidInputError(f"skill supersedes unknown id {t!r} in namespace {ns!r}")

    def _commit(self, ns: str, items: list[tuple[SkillIn, dict | None]]) -> list[tuple[str, bool]]:
        """Dedup, embed, write ledger + Chroma for validated skills; (id, newly added) per item.
        Duplicates (same normalised code; for hindsight skills also the same output signature),
        within the batch or with the store, map to the existing id. Runs one at a time."""
        batch = [s for s, _ in items]
        hashes = [code_hash(s.code) for s in batch]
        by_hash = self.ledger.find_by_hash(ns, hashes)
        by_sig = self.ledger.find_hindsight_by_outsig(ns, [s.output_signature for s in batch if _dedup_sig(s)])
        new: list[tuple[Skill, dict | None]] = []
        out: list[tuple[str, bool]] = []
        seen_hash: dict[str, str] = {}
        seen_sig: dict[str, str] = {}
        now = time.time()
        for (s, event), h in zip(items, hashes):
            sig = _dedup_sig(s)
            dup = by_hash.get(h) or seen_hash.get(h) or (sig and (by_sig.get(sig) or seen_sig.get(sig)))
            if dup:
                out.append((dup, False))
                continue
            sid = "sk_" + h[:16]
            seen_hash[h] = sid
            if sig:
                seen_sig[sig] = sid
            new.append((Skill(**s.model_dump(), id=sid, namespace=ns, content_hash=h, created_at=now), event))
            out.append((sid, True))
        if not new:
            return out
        skills = [s for s, _ in new]
        texts = [s.embed_text() for s in skills]
        # The index's writer embeds them (write_behind.py) unless it is behind: then this request
        # embeds them itself, which bounds the time until a new skill is searchable (commits run
        # one at a time, so the backlog never passes the bound).
        behind = self._embeds_behind if self._embeds_behind is not None and self._embeds_behind.has_room() else None
        vecs = self.embedder.embed(texts) if behind is None else None
        with self.ledger.transaction() as conn:
            for s, event in new:
                Ledger.insert_skill(conn, s)
                Ledger.add_event(conn, ns, s.id, "added", {"source": s.source, "iteration": s.iteration, **(event or {})})
                if s.supersedes:
                    Ledger.mark_superseded(conn, ns, s.supersedes, s.id)
                    Ledger.add_event(conn, ns, s.supersedes, "superseded", {"by": s.id})
            if behind is not None:
                behind.add_texts(ns, [s.id for s in skills], texts)
            elif vecs is not None:
                self.vectors.add(ns, [s.id for s in skills], vecs)
        return out

    def wait_indexed(self, timeout: float | None = None) -> bool:
        """Wait until every skill added so far is searchable (only a write-behind index makes
        anyone wait); False if `timeout` ran out first."""
        return self.vectors.flush(timeout)

    def record_outcome(self, skill_ids: Iterable[str], mode: Mode, success: bool | float,
                       namespace: str | None = None, meta: dict | None = None) -> None:
        """Fold one outcome into the mode's EMA of every listed skill (atomic for the batch).
        Sampling: the skills were shown as context to a first attempt. Refine: they were shown
        as context to, or were the parent of, a refinement."""
        self.ledger.record_outcomes(self._ns(namespace), _outcomes(skill_ids, mode, success), self.config.ema, meta)

    def record_attempt(self, attempt_id: str, record: dict, skill_ids: Iterable[str], mode: Mode,
                       success: bool | float, namespace: str | None = None) -> bool:
        """Store an attempt record and update the used skills' `mode` EMA in one transaction.
        Idempotent by `attempt_id` (a retried request is not counted twice): returns False for a replay."""
        return self.ledger.record_attempt(self._ns(namespace), attempt_id, record,
                                          _outcomes(skill_ids, mode, success), self.config.ema)

    def attempts(self, limit: int = 100, namespace: str | None = None) -> list[dict]:
        return self.ledger.attempts(self._ns(namespace), limit)

    # -- read ------------------------------------------------------------------------------
    def get(self, skill_id: str, namespace: str | None = None) -> Skill:
        got = self.ledger.get_many(self._ns(namespace), [skill_id])
        if skill_id not in got:
            raise SkillNotFoundError(f"no skill {skill_id!r} in namespace {namespace or self.namespace!r}")
        return got[skill_id]

    def get_many(self, skill_ids: Iterable[str], namespace: str | None = None) -> dict[str, Skill]:
        """The listed skills that exist, by id (unknown ids are left out, not an error)."""
        return self.ledger.get_many(self._ns(namespace), list(dict.fromkeys(skill_ids)))

    def get_attempt(self, attempt_id: str, namespace: str | None = None) -> dict | None:
        """The attempt record stored under `attempt_id`, or None."""
        return self.ledger.get_attempt(self._ns(namespace), attempt_id)

    def history(self, skill_id: str, namespace: str | None = None) -> list[Event]:
        self.get(skill_id, namespace)
        return self.ledger.history(self._ns(namespace), skill_id)

    def stats(self, namespace: str | None = None) -> dict:
        ns = self._ns(namespace)
        st = self.ledger.stats(ns)
        st["indexed"] = self.vectors.count(ns)
        st["location"] = self.config.location
        return st

    def count(self, namespace: str | None = None) -> int:
        """Skills in the namespace (one indexed SQLite count: cheap enough to poll)."""
        return self.ledger.count(self._ns(namespace))

    def all(self, namespace: str | None = None, include_superseded: bool = False) -> list[Skill]:
        return list(self.ledger.iter_skills(self._ns(namespace), include_superseded))

    def retrieve(self, query: str, mode: Mode = "sample", k: int = 5, *, kind: str | None = None,
                 source: str | None = None, exclude: Iterable[str] = (), namespace: str | None = None) -> list[ScoredSkill]:
        """Top-k skills for `query` in `mode`, ranked by ranking.py's formula, superseded skills
        excluded. `kind`/`source` filter after the vector query (a Chroma `where` is far slower)."""
        if mode not in ("sample", "refine"):
            raise InvalidInputError(f"mode must be 'sample' or 'refine', got {mode!r}")
        if k <= 0:
            return []
        ns = self._ns(namespace)
        rc = self.config.ranking
        want = max(k * rc.overfetch, rc.min_candidates)  # candidates the ranking chooses among
        n = want * 4 if kind or source else want
        vec = self.embedder.embed([query])[0]
        excluded = set(exclude)
        while True:
            hits = self.vectors.query(ns, vec, n)
            rows = self.ledger.ranking_rows(ns, [h.id for h in hits])
            cands: list[Candidate] = []
            for h in hits:
                s = rows.get(h.id)
                if s is None or s.superseded_by or s.id in excluded:
                    continue
                if (kind and s.kind != kind) or (source and s.source != source):
                    continue
                ema, uses = (s.sampling_ema, s.sampling_uses) if mode == "sample" else (s.refine_ema, s.refine_uses)
                cands.append(Candidate(s.id, 1.0 - h.distance, s.source, ema, uses, h.embedding))
            # A filter can leave too few: e.g. the 61 seed skills among thousands of learned ones
            # that describe similar tasks. Ask for more until there are enough or none are left.
            if len(cands) >= want or len(hits) < n:
                break
            n *= 4
        ranked = rank(cands, k, rc, self.config.ema)
        skills = self.ledger.get_many(ns, [r.id for r in ranked])  # full records for the k returned only
        return [
            ScoredSkill(skill=skills[r.id], similarity=r.similarity, prior_mean=r.prior_mean,
                        posterior=r.posterior, exploration=r.exploration, score=r.score)
            for r in ranked
        ]

    def retrieve_for_sampling(self, task_text: str, k: int = 5, **kw: Any) -> list[ScoredSkill]:
        return self.retrieve(task_text, "sample", k, **kw)

    def retrieve_for_refinement(self, task_text: str, attempt_text: str, k: int = 5, **kw: Any) -> list[ScoredSkill]:
        """The query is the task plus what went wrong, so fixes for similar failures rank high."""
        return self.retrieve(f"{task_text}\n{attempt_text}", "refine", k, **kw)

    # -- bundle ----------------------------------------------------------------------------
    def export(self, path: str | Path, namespace: str | None = None) -> int:
        from .bundle import write_bundle

        ns = self._ns(namespace)
        return write_bundle(Path(path), ns, self.ledger.iter_skills(ns, include_superseded=True))

    def import_(self, path: str | Path, namespace: str | None = None) -> AddResult:
        from .bundle import read_bundle

        ns = self._ns(namespace)
        skills = read_bundle(Path(path))  # validates every line before anything is written
        return self._import_skills(ns, skills)

    def _import_skills(self, ns: str, skills: list[Skill]) -> AddResult:
        result = AddResult()
        known = self.ledger.find_by_hash(ns, [s.content_hash for s in skills])
        new = []
        for i, s in enumerate(skills):
            if s.content_hash in known:
                result.duplicates[i] = known[s.content_hash]
            else:
                known[s.content_hash] = s.id
                new.append(s.model_copy(update={"namespace": ns}))
        if not new:
            return result
        vecs = self.embedder.embed([s.embed_text() for s in new])
        with self.ledger.transaction() as conn:
            for s in new:
                Ledger.insert_skill(conn, s, {k: getattr(s, k) for k in ("sampling_ema", "sampling_uses", "refine_ema", "refine_uses", "last_used")})
                Ledger.add_event(conn, ns, s.id, "imported", {})
            for s in new:
                if s.superseded_by and s.superseded_by in known.values():
                    conn.execute("UPDATE skills SET superseded_by=? WHERE namespace=? AND id=?", (s.superseded_by, ns, s.id))
            self.vectors.add(ns, [s.id for s in new], vecs)
        result.added = [s.id for s in new]
        return result

    def _repair(self, ns: str) -> None:
        """Re-index ledger rows that never reached Chroma (a crash between the two writes)."""
        n_ledger = self.ledger.count(ns)
        if n_ledger == 0 or self.vectors.count(ns) >= n_ledger:
            return
        skills = list(self.ledger.iter_skills(ns))
        present = set()
        for i in range(0, len(skills), 1000):
            present |= self.vectors.existing(ns, [s.id for s in skills[i : i + 1000]])
        missing = [s for s in skills if s.id not in present]
        if missing:
            vecs = self.embedder.embed([s.embed_text() for s in missing])
            self.vectors.add(ns, [s.id for s in missing], vecs)


def _open_index(cfg: StoreConfig, index_embedder: Any) -> tuple[VectorIndex, WriteBehindIndex | None]:
    """Chroma, searched exactly when this process is its one writer, behind a write-behind buffer
    for servers; and that buffer again when it embeds new skills itself (`index_embed_behind`)."""
    chroma = ChromaIndex(cfg.location)
    index: VectorIndex = chroma
    if cfg.exact_search_max > 0 and not cfg.is_server:
        index = ExactIndex(chroma, cfg.exact_search_max)
    if cfg.index_write_behind_ms <= 0:
        return index, None
    embedder = (index_embedder or Embedder(cfg.embed_batch_size)) if cfg.index_embed_behind else None
    behind = WriteBehindIndex(index, cfg.index_write_behind_ms / 1000, embedder=embedder)
    return behind, (behind if embedder is not None else None)


def _dedup_sig(s: SkillIn) -> str | None:
    """Hindsight skills are also duplicates when they produce the same outputs."""
    return s.output_signature if s.source == "hindsight" and s.output_signature else None


def _explain(e: ValidationError) -> str:
    parts = []
    for err in e.errors()[:5]:
        loc = ".".join(str(x) for x in err["loc"]) or "(root)"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


def _outcomes(skill_ids: Iterable[str], mode: str, success: bool | float) -> list[tuple[str, str, float]]:
    """One (skill id, mode, outcome) per distinct skill, after checking the mode and the outcome."""
    if mode not in ("sample", "refine"):
        raise InvalidInputError(f"mode must be 'sample' or 'refine', got {mode!r}")
    try:
        outcome = float(success)
    except (TypeError, ValueError):
        outcome = float("nan")
    if not 0.0 <= outcome <= 1.0:
        raise InvalidInputError(f"success must be a bool or a number in [0, 1], got {success!r}")
    return [(i, mode, outcome) for i in dict.fromkeys(skill_ids)]
