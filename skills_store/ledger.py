"""The SQLite ledger: source of truth for skill records, counters and the event history.

Chroma has no transactions, and EMA updates are read-modify-write, so every counter change happens
in one `BEGIN IMMEDIATE` transaction here (WAL mode: readers never block the writer). Skills are
append-only rows; the only mutable facts about a skill are its counters and `superseded_by`.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from typing import NamedTuple
from contextlib import contextmanager
from pathlib import Path

from .config import EmaConfig
from .ema import ema_update
from .errors import SkillNotFoundError
from .schema import SCHEMA_VERSION, Event, Skill

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS skills (
  namespace TEXT NOT NULL, id TEXT NOT NULL, content_hash TEXT NOT NULL, output_signature TEXT,
  source TEXT NOT NULL, kind TEXT NOT NULL, created_at REAL NOT NULL, superseded_by TEXT,
  record TEXT NOT NULL, PRIMARY KEY (namespace, id));
CREATE UNIQUE INDEX IF NOT EXISTS skills_hash ON skills(namespace, content_hash);
CREATE INDEX IF NOT EXISTS skills_outsig ON skills(namespace, source, output_signature);
CREATE TABLE IF NOT EXISTS counters (
  namespace TEXT NOT NULL, id TEXT NOT NULL,
  sampling_ema REAL NOT NULL DEFAULT 0, sampling_uses INTEGER NOT NULL DEFAULT 0,
  refine_ema REAL NOT NULL DEFAULT 0, refine_uses INTEGER NOT NULL DEFAULT 0,
  last_used REAL, PRIMARY KEY (namespace, id));
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL NOT NULL, namespace TEXT NOT NULL,
  skill_id TEXT NOT NULL, kind TEXT NOT NULL, payload TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_skill ON events(namespace, skill_id, seq);
CREATE TABLE IF NOT EXISTS attempts (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL NOT NULL, namespace TEXT NOT NULL,
  id TEXT NOT NULL, record TEXT NOT NULL, UNIQUE (namespace, id));
"""

_COUNTER_COLS = ("sampling_ema", "sampling_uses", "refine_ema", "refine_uses", "last_used")


class RankingRow(NamedTuple):
    id: str
    source: str
    kind: str
    superseded_by: str | None
    sampling_ema: float
    sampling_uses: int
    refine_ema: float
    refine_uses: int


class Ledger:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One connection shared by the owner's threads, serialised by a lock: the servers call in
        # from many threads, and SQLite gives no benefit from parallel writers anyway.
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._lock = threading.RLock()
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_DDL)
        row = self._conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if row is None:
            self._conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        elif int(row[0]) > SCHEMA_VERSION:
            raise RuntimeError(
                f"ledger {self.path} has schema version {row[0]}, newer than this code ({SCHEMA_VERSION}): upgrade"
            )

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")

    # -- reads -----------------------------------------------------------------------------
    def _select_in(self, query: str, ns: str, values: list[str]) -> list[tuple]:
        """Rows of `query ... IN (values)`; `query`'s first parameter is the namespace. Chunked
        under SQLite's variable limit, under the connection lock."""
        rows: list[tuple] = []
        with self._lock:
            for i in range(0, len(values), 500):
                chunk = values[i : i + 500]
                q = f"{query} IN ({','.join('?' * len(chunk))})"
                rows.extend(self._conn.execute(q, [ns, *chunk]).fetchall())
        return rows

    def find_by_hash(self, ns: str, hashes: Iterable[str]) -> dict[str, str]:
        return dict(self._select_in("SELECT content_hash, id FROM skills WHERE namespace=? AND content_hash",
                                    ns, list(set(hashes))))

    def find_hindsight_by_outsig(self, ns: str, sigs: Iterable[str]) -> dict[str, str]:
        return dict(self._select_in("SELECT output_signature, id FROM skills WHERE namespace=? AND source='hindsight' "
                                    "AND output_signature", ns, [s for s in set(sigs) if s]))

    def get_many(self, ns: str, ids: list[str]) -> dict[str, Skill]:
        out: dict[str, Skill] = {}
        rows = self._select_in(
            "SELECT s.record, s.superseded_by, c.sampling_ema, c.sampling_uses, c.refine_ema, c.refine_uses, "
            "c.last_used FROM skills s JOIN counters c USING (namespace, id) WHERE s.namespace=? AND s.id", ns, ids)
        for rec, sup, *counts in rows:
            d = json.loads(rec)
            d.update(dict(zip(_COUNTER_COLS, counts)), superseded_by=sup)
            s = Skill.model_validate(d)
            out[s.id] = s
        return out

    def ranking_rows(self, ns: str, ids: list[str]) -> dict[str, RankingRow]:
        """What ranking needs for each id, from columns only: retrieval ranks many candidates and
        returns k, so only those k need their full record parsed (get_many)."""
        rows = self._select_in(
            "SELECT s.id, s.source, s.kind, s.superseded_by, c.sampling_ema, c.sampling_uses, c.refine_ema, "
            "c.refine_uses FROM skills s JOIN counters c USING (namespace, id) WHERE s.namespace=? AND s.id", ns, ids)
        return {r[0]: RankingRow(*r) for r in rows}

    def iter_skills(self, ns: str, include_superseded: bool = True) -> Iterator[Skill]:
        with self._lock:
            ids = [r[0] for r in self._conn.execute(
                "SELECT id FROM skills WHERE namespace=? ORDER BY created_at, id", (ns,)
            )]
        for i in range(0, len(ids), 500):
            got = self.get_many(ns, ids[i : i + 500])
            for sid in ids[i : i + 500]:
                s = got[sid]
                if include_superseded or not s.superseded_by:
                    yield s

    def count(self, ns: str) -> int:
        with self._lock:
            return self._conn.execute("SELECT COUNT(*) FROM skills WHERE namespace=?", (ns,)).fetchone()[0]

    def stats(self, ns: str) -> dict:
        with self._lock:
            c = self._conn
            by_source = dict(c.execute("SELECT source, COUNT(*) FROM skills WHERE namespace=? GROUP BY source", (ns,)).fetchall())
            by_kind = dict(c.execute("SELECT kind, COUNT(*) FROM skills WHERE namespace=? GROUP BY kind", (ns,)).fetchall())
            sup = c.execute("SELECT COUNT(*) FROM skills WHERE namespace=? AND superseded_by IS NOT NULL", (ns,)).fetchone()[0]
            agg = c.execute(
                "SELECT COALESCE(SUM(sampling_uses),0), COALESCE(SUM(refine_uses),0), "
                "AVG(CASE WHEN sampling_uses>0 THEN sampling_ema END), AVG(CASE WHEN refine_uses>0 THEN refine_ema END) "
                "FROM counters WHERE namespace=?", (ns,)
            ).fetchone()
            events = c.execute("SELECT COUNT(*) FROM events WHERE namespace=?", (ns,)).fetchone()[0]
        return {
            "namespace": ns, "skills": sum(by_source.values()), "by_source": by_source, "by_kind": by_kind,
            "superseded": sup, "sampling_uses": agg[0], "refine_uses": agg[1],
            "mean_sampling_ema": agg[2], "mean_refine_ema": agg[3], "events": events,
        }

    def history(self, ns: str, skill_id: str) -> list[Event]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq, ts, skill_id, kind, payload FROM events WHERE namespace=? AND skill_id=? ORDER BY seq",
                (ns, skill_id),
            ).fetchall()
        return [Event(seq=r[0], ts=r[1], skill_id=r[2], kind=r[3], payload=json.loads(r[4])) for r in rows]

    # -- writes (call inside `transaction()`) ------------------------------------------------
    @staticmethod
    def insert_skill(conn: sqlite3.Connection, s: Skill, counters: dict | None = None) -> None:
        rec = s.model_dump(exclude=set(_COUNTER_COLS) | {"superseded_by"})
        conn.execute(
            "INSERT INTO skills VALUES (?,?,?,?,?,?,?,?,?)",
            (s.namespace, s.id, s.content_hash, s.output_signature, s.source, s.kind, s.created_at, None, json.dumps(rec)),
        )
        c = counters or {}
        conn.execute(
            "INSERT INTO counters VALUES (?,?,?,?,?,?,?)",
            (s.namespace, s.id, *(c.get(k, 0 if k != "last_used" else None) for k in _COUNTER_COLS)),
        )

    @staticmethod
    def add_event(conn: sqlite3.Connection, ns: str, skill_id: str, kind: str, payload: dict) -> None:
        conn.execute(
            "INSERT INTO events (ts, namespace, skill_id, kind, payload) VALUES (?,?,?,?,?)",
            (time.time(), ns, skill_id, kind, json.dumps(payload)),
        )

    @staticmethod
    def mark_superseded(conn: sqlite3.Connection, ns: str, old_id: str, new_id: str) -> None:
        cur = conn.execute("UPDATE skills SET superseded_by=? WHERE namespace=? AND id=?", (new_id, ns, old_id))
        if cur.rowcount == 0:
            raise SkillNotFoundError(f"cannot supersede unknown skill {old_id!r} in namespace {ns!r}")

    def record_attempt(self, ns: str, attempt_id: str, record: dict, outcomes: list[tuple[str, str, float]],
                       cfg: EmaConfig) -> bool:
        """Store an attempt and fold its outcome into the used skills' EMAs, atomically.
        Idempotent by attempt id: a replayed attempt changes nothing and returns False."""
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO attempts (ts, namespace, id, record) VALUES (?,?,?,?)",
                (time.time(), ns, attempt_id, json.dumps(record)),
            )
            if cur.rowcount == 0:
                return False
            self._apply_outcomes(conn, ns, outcomes, cfg, {"attempt": attempt_id})
        return True

    def attempts(self, ns: str, limit: int = 100) -> list[dict]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT record FROM attempts WHERE namespace=? ORDER BY seq DESC LIMIT ?", (ns, limit)
            ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def get_attempt(self, ns: str, attempt_id: str) -> dict | None:
        with self._lock:
            row = self._conn.execute("SELECT record FROM attempts WHERE namespace=? AND id=?", (ns, attempt_id)).fetchone()
        return json.loads(row[0]) if row else None

    def record_outcomes(self, ns: str, updates: list[tuple[str, str, float]], cfg: EmaConfig, meta: dict | None = None) -> None:
        """updates: (skill_id, mode, outcome). All or nothing."""
        with self.transaction() as conn:
            self._apply_outcomes(conn, ns, updates, cfg, meta)

    def _apply_outcomes(self, conn: sqlite3.Connection, ns: str, updates: list[tuple[str, str, float]],
                        cfg: EmaConfig, meta: dict | None) -> None:
        now = time.time()
        for skill_id, mode, outcome in updates:
            col = "sampling" if mode == "sample" else "refine"
            row = conn.execute(
                f"SELECT {col}_ema, {col}_uses FROM counters WHERE namespace=? AND id=?", (ns, skill_id)
            ).fetchone()
            if row is None:
                raise SkillNotFoundError(f"unknown skill id {skill_id!r} in namespace {ns!r}")
            ema, uses = ema_update(row[0], row[1], outcome, cfg)
            conn.execute(
                f"UPDATE counters SET {col}_ema=?, {col}_uses=?, last_used=? WHERE namespace=? AND id=?",
                (ema, uses, now, ns, skill_id),
            )
            self.add_event(conn, ns, skill_id, "outcome", {"mode": mode, "outcome": outcome, "ema": ema, "uses": uses, **(meta or {})})
