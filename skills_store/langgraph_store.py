"""LangGraph face of the memory service: a `BaseStore` so a LangGraph agent can use the skill library
as its long-term store (`graph.compile(store=SkillMemoryStore(service))`, then `get_store()` in a
node).

The library is not a free-form key-value store, so three fixed LangGraph namespaces map onto it:

    ("skills",)    key = skill id. search(query=...) is the ranked retrieval (filter {"mode": "refine"}
                   switches to refine ranking; "kind"/"source" and other value fields filter);
                   without a query it lists skills. put(value=SkillIn fields) adds a skill: skills
                   are content-addressed, so the stored key is the skill's own id (`sk_...`) and the
                   caller's key is kept in `meta["key"]`. Skills are append-only: delete is refused.
    ("attempts",)  key = attempt id (the idempotency key). put(value=record_attempt fields) records
                   an attempt exactly as the REST/MCP faces do; get/search read attempts back.
    ("outcomes",)  put(value={skill_ids, mode, success}) reports an outcome; nothing to read.

One store object is bound to one library namespace, like a server token.
"""
from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from langgraph.store.base import (
    BaseStore, GetOp, InvalidNamespaceError, Item, ListNamespacesOp, Op, PutOp, Result, SearchItem, SearchOp,
)
from pydantic import ValidationError

from .errors import InvalidInputError, SkillNotFoundError
from .schema import SkillIn
from .service import AttemptRequest, MemoryService, OutcomeRequest, SearchRequest, SkillOut

COLLECTIONS = (("attempts",), ("outcomes",), ("skills",))
_OPS = {"$eq": lambda a, b: a == b, "$ne": lambda a, b: a != b, "$gt": lambda a, b: a > b,
        "$gte": lambda a, b: a >= b, "$lt": lambda a, b: a < b, "$lte": lambda a, b: a <= b}


def _ts(t: float | None) -> datetime:
    return datetime.fromtimestamp(t or 0.0, tz=timezone.utc)


def _collection(ns: tuple[str, ...]) -> str:
    if tuple(ns) not in COLLECTIONS:
        raise InvalidNamespaceError(
            f"namespace {tuple(ns)!r} is not part of the skill library: use ('skills',), ('attempts',) or ('outcomes',)")
    return ns[0]


def _matches(value: dict, flt: dict[str, Any] | None) -> bool:
    for key, cond in (flt or {}).items():
        v = value.get(key)
        if isinstance(cond, dict) and cond and all(k in _OPS for k in cond):
            try:
                if not all(_OPS[op](v, arg) for op, arg in cond.items()):
                    return False
            except TypeError:  # comparing None or mixed types: not a match
                return False
        elif v != cond:
            return False
    return True


def _explain(e: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, err['loc'])) or 'value'}: {err['msg']}" for err in e.errors()[:5])


class SkillMemoryStore(BaseStore):
    """`BaseStore` over a MemoryService. Thread-safe as the service is; `abatch` runs `batch` in a
    worker thread so a LangGraph event loop never blocks on an embedding."""

    def __init__(self, service: MemoryService, namespace: str | None = None):
        self.service = service
        self.namespace = namespace or service.default_namespace

    # -- BaseStore --------------------------------------------------------------------------
    def batch(self, ops: Iterable[Op]) -> list[Result]:
        return [self._one(op) for op in ops]

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        return await asyncio.to_thread(self.batch, list(ops))

    # -- ops --------------------------------------------------------------------------------
    def _one(self, op: Op) -> Result:
        if isinstance(op, GetOp):
            return self._get(op)
        if isinstance(op, PutOp):
            return self._put(op)
        if isinstance(op, SearchOp):
            return self._search(op)
        if isinstance(op, ListNamespacesOp):
            return self._list_namespaces(op)
        raise TypeError(f"unknown store operation {type(op).__name__}")

    def _get(self, op: GetOp) -> Item | None:
        col = _collection(op.namespace)
        if col == "skills":
            try:
                return self._skill_item(self.service.get_skill(op.key, self.namespace))
            except SkillNotFoundError:
                return None
        if col == "attempts":
            rec = self.service.get_attempt(op.key, self.namespace)
            return None if rec is None else self._attempt_item(rec)
        return None

    def _put(self, op: PutOp) -> None:
        col = _collection(op.namespace)
        if op.value is None:
            raise InvalidInputError(f"{col} are append-only: delete is not supported (add a skill that supersedes it)")
        value = dict(op.value)
        try:
            if col == "skills":
                meta = dict(value.pop("meta", {}) or {})
                meta.setdefault("key", op.key)
                self.service.store.add([SkillIn.model_validate({**value, "meta": meta})], namespace=self.namespace)
            elif col == "attempts":
                if value.setdefault("attempt_id", op.key) != op.key:
                    raise InvalidInputError(f"attempt key {op.key!r} and value attempt_id {value['attempt_id']!r} differ")
                self.service.record_attempt(AttemptRequest.model_validate(value), self.namespace)
            else:
                self.service.report_outcome(OutcomeRequest.model_validate(value), self.namespace)
        except ValidationError as e:
            raise InvalidInputError(f"invalid {col} value: {_explain(e)}") from None
        return None

    def _search(self, op: SearchOp) -> list[SearchItem]:
        prefix = tuple(op.namespace_prefix)
        cols = [c[0] for c in COLLECTIONS if c[: len(prefix)] == prefix]
        if not cols:
            return []
        flt = dict(op.filter or {})
        out: list[SearchItem] = []
        want = op.offset + op.limit
        if "skills" in cols:
            mode = flt.pop("mode", "sample")
            if op.query:
                fetched = want * 4 if flt else want  # post-filtering needs more candidates
                kind = flt.pop("kind") if isinstance(flt.get("kind"), str) else None
                try:
                    req = SearchRequest(query=op.query, mode="sample", k=min(50, max(1, fetched)), kind=kind)
                except ValidationError as e:
                    raise InvalidInputError(f"invalid search: {_explain(e)}") from None
                if mode == "refine":
                    # The query already describes the failure: rank by refine success rates.
                    hits = self.service.store.retrieve(op.query, "refine", req.k, kind=kind, namespace=self.namespace)
                else:
                    hits = self.service.store.retrieve(op.query, "sample", req.k, kind=kind, namespace=self.namespace)
                skills = [SkillOut.of(h.skill, h) for h in hits]
            else:
                skills = self.service.list_skills(self.namespace, limit=10**9)
            for s in skills:
                item = self._skill_item(s, search=True)
                if _matches(item.value, flt):
                    out.append(item)  # type: ignore[arg-type]
        if "attempts" in cols:
            for rec in self.service.attempts(self.namespace, limit=want * 4 if flt else want):
                if _matches(rec, op.filter):
                    out.append(self._attempt_item(rec, search=True))  # type: ignore[arg-type]
        return out[op.offset : want]

    def _list_namespaces(self, op: ListNamespacesOp) -> list[tuple[str, ...]]:
        found = []
        for ns in COLLECTIONS:
            ok = True
            for cond in op.match_conditions or ():
                path = tuple(cond.path)
                if len(path) > len(ns):
                    ok = False
                    break
                part = ns[: len(path)] if cond.match_type == "prefix" else ns[len(ns) - len(path):]
                if not all(p == "*" or p == q for p, q in zip(path, part)):
                    ok = False
                    break
            if ok:
                found.append(ns if op.max_depth is None else ns[: op.max_depth])
        found = sorted(set(found))
        return found[op.offset : op.offset + op.limit]

    # -- items ------------------------------------------------------------------------------
    @staticmethod
    def _skill_item(s: SkillOut, search: bool = False) -> Item:
        value = s.model_dump()
        kw = dict(namespace=("skills",), key=s.id, value=value, created_at=_ts(s.created_at),
                  updated_at=_ts(s.created_at))
        return SearchItem(**kw, score=s.score) if search else Item(**kw)

    @staticmethod
    def _attempt_item(rec: dict, search: bool = False) -> Item:
        kw = dict(namespace=("attempts",), key=rec["id"], value=rec, created_at=_ts(rec.get("ts")),
                  updated_at=_ts(rec.get("ts")))
        return SearchItem(**kw) if search else Item(**kw)
