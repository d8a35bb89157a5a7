"""The memory service: the one operation layer behind every face (MCP, REST, LangGraph store).

Each operation takes a validated request model (below; the faces publish these same models as
their JSON schemas) and a namespace chosen by the face (a token's namespace, or the default).
The service owns no state of its own: the SkillStore is the single owner of the store directory.

Agents' code is stored, never executed here. The two behaviours that need more than the store are
injected as callables so `skills_store` stays free of any domain package:

    relabeller  (task, code, observations, kind, attempt_id) -> SkillIn | None
                hindsight relabelling of a failed attempt ("produce what it actually produced");
                the CLI wires `mechacoder_soar.hindsight.relabel_behaviour` in.
    evaluator   (code, inputs) -> list of (output | None, error | None), one per input
                only used when a caller explicitly asks for evaluation; it must be sandboxed.
"""
from __future__ import annotations

import json
import logging
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .errors import InvalidInputError, SkillNotFoundError, StoreError
from .schema import MAX_CODE_CHARS, Event, ScoredSkill, Skill, SkillIn, validate_namespace

log = logging.getLogger("skills_store.service")

MAX_TEXT_CHARS = 20_000           # task descriptions, feedback
MAX_OBSERVATION_JSON = 100_000    # all observations of one attempt, serialised
MAX_IDS = 100
MAX_K = 50
FRESH_TIMEOUT_S = 10.0            # a `fresh` search waits at most this long for background indexing

Relabeller = Callable[[str, str, list[tuple[Any, Any]], str, str], SkillIn | None]
Evaluator = Callable[[str, list[Any]], list[tuple[Any, str | None]]]


class ServiceError(StoreError):
    """A request the service cannot serve as asked (e.g. evaluation without an evaluator)."""


class EvaluationUnavailableError(ServiceError):
    pass


class IndexNotReadyError(ServiceError):
    """A `fresh` search whose wait for the background indexing ran out."""


def _clean_text(v: str | None) -> str | None:
    """Text must be valid Unicode that survives UTF-8 (no lone surrogates) and has no NUL bytes:
    SQLite, Chroma and every client would otherwise choke on it later, far from the request."""
    if v is None:
        return v
    if "\x00" in v:
        raise ValueError("must not contain NUL characters")
    try:
        v.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid UTF-8 text (found an unpaired surrogate)") from None
    return v


class _Req(BaseModel):
    # Unknown fields are rejected so a misspelt field is an error, not a silently ignored input.
    model_config = ConfigDict(extra="forbid")


# -- requests ---------------------------------------------------------------------------------
class SearchRequest(_Req):
    query: str = Field(min_length=1, max_length=MAX_TEXT_CHARS,
                       description="What you are trying to do: the task description, in plain words.")
    mode: Literal["sample", "refine"] = Field(
        "sample", description="'sample': skills to try for a first attempt. 'refine': skills that fix a failing "
                              "attempt (give failing_code and/or feedback).")
    k: int = Field(5, ge=1, le=MAX_K, description="How many skills to return.")
    kind: str | None = Field(None, max_length=64, description="Only skills of this kind (e.g. 'code', 'arc').")
    failing_code: str | None = Field(None, max_length=MAX_CODE_CHARS,
                                     description="refine mode: the code that failed.")
    feedback: str | None = Field(None, max_length=MAX_TEXT_CHARS,
                                 description="refine mode: what went wrong (error, failing test output, wrong result).")
    fresh: bool = Field(False, description="Wait until the skills from attempts recorded before this search are "
                                           "searchable (a server indexes them in the background, usually within a second).")

    _text = field_validator("query", "failing_code", "feedback")(_clean_text)

    @model_validator(mode="after")
    def _refine_needs_attempt(self) -> "SearchRequest":
        if self.mode == "refine" and not (self.failing_code or self.feedback):
            raise ValueError("mode 'refine' needs failing_code and/or feedback describing the failing attempt")
        return self


class Observation(_Req):
    input: Any = Field(description="An input the code was run on (JSON).")
    output: Any = Field(description="What the code actually produced for it (JSON).")


class AttemptRequest(_Req):
    task: str = Field(min_length=1, max_length=MAX_TEXT_CHARS, description="The task description the code attempted.")
    code: str = Field(min_length=1, max_length=MAX_CODE_CHARS, description="The code of the attempt (stored, never run).")
    passed: bool = Field(description="Did the attempt solve the task (all tests passed)?")
    tests_passed: int | None = Field(None, ge=0, description="Number of tests that passed.")
    tests_total: int | None = Field(None, ge=0, description="Number of tests run.")
    feedback: str | None = Field(None, max_length=MAX_TEXT_CHARS,
                                 description="Free-text feedback: error messages, failing test output.")
    observations: list[Observation] = Field(
        default_factory=list, max_length=50,
        description="Observed behaviour: inputs and what the code actually output for them. A failed attempt with "
                    "observations becomes a hindsight skill ('produce exactly these outputs').")
    skill_ids: list[str] = Field(default_factory=list, max_length=MAX_IDS,
                                 description="Ids of the skills you used (from search_skills); their success rates are updated.")
    mode: Literal["sample", "refine"] = Field(
        "sample", description="'sample' if this was a first attempt, 'refine' if it fixed an earlier attempt.")
    kind: str = Field("code", min_length=1, max_length=64, description="Label stored on skills made from this attempt.")
    attempt_id: str | None = Field(None, min_length=1, max_length=128,
                                   description="Idempotency key: the same id recorded twice counts once. Default: a new id.")
    evaluate_inputs: list[Any] | None = Field(
        None, max_length=50,
        description="Optional: run the code's transform(input) on each of these inputs in the server's sandbox and use "
                    "what it returns as the observations. Without this the code is never executed.")

    _text = field_validator("task", "code", "feedback")(_clean_text)

    @field_validator("skill_ids")
    @classmethod
    def _ids(cls, v: list[str]) -> list[str]:
        for s in v:
            if not s or len(s) > 128:
                raise ValueError(f"invalid skill id {s[:40]!r}")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> "AttemptRequest":
        if self.tests_passed is not None and self.tests_total is not None and self.tests_passed > self.tests_total:
            raise ValueError(f"tests_passed ({self.tests_passed}) exceeds tests_total ({self.tests_total})")
        if self.observations:
            size = len(json.dumps([o.model_dump() for o in self.observations], default=repr))
            if size > MAX_OBSERVATION_JSON:
                raise ValueError(f"observations are {size} characters as JSON; the limit is {MAX_OBSERVATION_JSON}")
        return self


class OutcomeRequest(_Req):
    skill_ids: list[str] = Field(min_length=1, max_length=MAX_IDS, description="Skills that were used.")
    mode: Literal["sample", "refine"] = Field(description="'sample' (first attempt) or 'refine' (fixing an attempt).")
    success: bool = Field(description="Did the attempt that used them succeed?")


# -- responses --------------------------------------------------------------------------------
class SkillOut(BaseModel):
    id: str
    code: str
    description: str
    kind: str
    source: str
    signature: str = ""
    tags: list[str] = Field(default_factory=list)
    sampling_ema: float = Field(description="Success rate when used for first attempts (EMA).")
    sampling_uses: int
    refine_ema: float = Field(description="Success rate when used to fix attempts (EMA).")
    refine_uses: int
    superseded_by: str | None = None
    origin_task_id: str | None = None
    origin_attempt_id: str | None = None
    created_at: float
    score: float | None = Field(None, description="Ranking score (search results only).")
    similarity: float | None = Field(None, description="Cosine similarity to the query (search results only).")

    @classmethod
    def of(cls, s: Skill, scored: ScoredSkill | None = None) -> "SkillOut":
        return cls(
            id=s.id, code=s.code, description=s.description, kind=s.kind, source=s.source, signature=s.signature,
            tags=s.tags, sampling_ema=s.sampling_ema, sampling_uses=s.sampling_uses, refine_ema=s.refine_ema,
            refine_uses=s.refine_uses, superseded_by=s.superseded_by, origin_task_id=s.origin_task_id,
            origin_attempt_id=s.origin_attempt_id, created_at=s.created_at,
            score=scored.score if scored else None, similarity=scored.similarity if scored else None,
        )


class SearchResponse(BaseModel):
    mode: str
    skills: list[SkillOut]


class AttemptResponse(BaseModel):
    attempt_id: str
    recorded: bool = Field(description="False when this attempt_id was already recorded (nothing changed).")
    updated_skills: list[str] = Field(description="Skills whose EMA was updated.")
    new_skill_id: str | None = Field(None, description="Skill made from this attempt (solved or hindsight), if any.")
    new_skill_source: str | None = None
    new_skill_was_duplicate: bool = False
    hindsight_skipped: str | None = Field(None, description="Why a failed attempt was not relabelled.")


class OutcomeResponse(BaseModel):
    updated_skills: list[str]
    mode: str
    success: bool


@dataclass(frozen=True)
class ServiceConfig:
    # Attempts replayed by id are detected before anything is embedded (cheap retries).
    check_replay: bool = True


class MemoryService:
    def __init__(self, store, config: ServiceConfig | None = None, *,
                 relabeller: Relabeller | None = None, evaluator: Evaluator | None = None):
        self.store = store
        self.config = config or ServiceConfig()
        self.relabeller = relabeller
        self.evaluator = evaluator

    @property
    def default_namespace(self) -> str:
        return self.store.namespace

    def _ns(self, namespace: str | None) -> str:
        if namespace is None:
            return self.store.namespace
        try:
            return validate_namespace(namespace)
        except ValueError as e:
            raise InvalidInputError(str(e)) from None

    # -- operations -------------------------------------------------------------------------
    def search_skills(self, req: SearchRequest, namespace: str | None = None) -> SearchResponse:
        ns = self._ns(namespace)
        if req.fresh and not self.store.wait_indexed(FRESH_TIMEOUT_S):
            raise IndexNotReadyError(f"skills recorded before this search were not indexed within {FRESH_TIMEOUT_S:g} s; "
                                     "retry, or search without fresh")
        if req.mode == "refine":
            # Feedback first: the embedder truncates long inputs, and what went wrong matters more
            # to the match than the failing source.
            attempt = "\n".join(x for x in (req.feedback, (req.failing_code or "")[:2000]) if x)
            hits = self.store.retrieve_for_refinement(req.query, attempt, req.k, kind=req.kind, namespace=ns)
        else:
            hits = self.store.retrieve(req.query, "sample", req.k, kind=req.kind, namespace=ns)
        return SearchResponse(mode=req.mode, skills=[SkillOut.of(h.skill, h) for h in hits])

    def record_attempt(self, req: AttemptRequest, namespace: str | None = None) -> AttemptResponse:
        """Validate everything, then: make a skill of the attempt (a pass -> `solved` skill for the
        task; a failure with observed behaviour -> `hindsight` skill), then store the attempt and
        fold its outcome into the used skills' EMAs in one transaction. The skill is added first
        because adding is idempotent (content dedup) while the attempt record is idempotent by id:
        a retry after a crash between the two completes the work instead of skipping it."""
        ns = self._ns(namespace)
        attempt_id = req.attempt_id or uuid.uuid4().hex
        used = list(dict.fromkeys(req.skill_ids))
        if used:
            known = self.store.get_many(used, namespace=ns)
            missing = [i for i in used if i not in known]
            if missing:
                raise SkillNotFoundError(f"unknown skill id(s) {missing[:5]} in namespace {ns!r}; nothing was recorded")
        if self.config.check_replay and self.get_attempt(attempt_id, ns) is not None:
            return AttemptResponse(attempt_id=attempt_id, recorded=False, updated_skills=[])

        observations = [(o.input, o.output) for o in req.observations]
        if req.evaluate_inputs is not None:
            observations = self._evaluate(req.code, req.evaluate_inputs) or observations

        new_skill: SkillIn | None = None
        skipped: str | None = None
        if req.passed:
            new_skill = SkillIn(code=req.code, description=req.task, kind=req.kind, source="solved",
                                origin_attempt_id=attempt_id, meta=_test_meta(req))
        elif not observations:
            skipped = "no observed behaviour (give observations: inputs and the outputs the code produced)"
        elif self.relabeller is None:
            skipped = "hindsight relabelling is not configured on this server"
        else:
            new_skill = self.relabeller(req.task, req.code, observations, req.kind, attempt_id)
            if new_skill is None:
                skipped = "the relabeller rejected the attempt (degenerate behaviour)"

        resp = AttemptResponse(attempt_id=attempt_id, recorded=True, updated_skills=used, hindsight_skipped=skipped)
        if new_skill is not None:
            added = self.store.add([new_skill], namespace=ns)
            resp.new_skill_id = added.added[0] if added.added else added.duplicates[0]
            resp.new_skill_source = new_skill.source
            resp.new_skill_was_duplicate = not added.added

        record = {
            "id": attempt_id, "ts": time.time(), "task": req.task, "code": req.code, "passed": req.passed,
            "tests_passed": req.tests_passed, "tests_total": req.tests_total, "feedback": req.feedback,
            "observations": [{"input": i, "output": o} for i, o in observations], "skill_ids": used,
            "mode": req.mode, "kind": req.kind, "new_skill_id": resp.new_skill_id,
        }
        # The outcome in the EMA is the binary pass: the EMAs are success rates.
        if not self.store.record_attempt(attempt_id, _jsonable(record), used, req.mode, req.passed, namespace=ns):
            return AttemptResponse(attempt_id=attempt_id, recorded=False, updated_skills=[],
                                   new_skill_id=resp.new_skill_id, new_skill_source=resp.new_skill_source,
                                   new_skill_was_duplicate=resp.new_skill_was_duplicate)
        return resp

    def report_outcome(self, req: OutcomeRequest, namespace: str | None = None) -> OutcomeResponse:
        ns = self._ns(namespace)
        ids = list(dict.fromkeys(req.skill_ids))
        self.store.record_outcome(ids, req.mode, req.success, namespace=ns)
        return OutcomeResponse(updated_skills=ids, mode=req.mode, success=req.success)

    def get_skill(self, skill_id: str, namespace: str | None = None) -> SkillOut:
        return SkillOut.of(self.store.get(skill_id, namespace=self._ns(namespace)))

    def skill_history(self, skill_id: str, namespace: str | None = None) -> list[Event]:
        return self.store.history(skill_id, namespace=self._ns(namespace))

    def stats(self, namespace: str | None = None) -> dict:
        st = self.store.stats(namespace=self._ns(namespace))
        st.pop("location", None)  # the server's disk layout is not the client's business
        return st

    def export(self, namespace: str | None = None) -> str:
        """The namespace as a JSONL bundle (the format `soar skills import` reads)."""
        ns = self._ns(namespace)
        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / "bundle.jsonl"
            self.store.export(p, namespace=ns)
            return p.read_text(encoding="utf-8")

    def list_skills(self, namespace: str | None = None, limit: int = 100, offset: int = 0) -> list[SkillOut]:
        skills = self.store.all(namespace=self._ns(namespace))
        return [SkillOut.of(s) for s in skills[offset : offset + limit]]

    def get_attempt(self, attempt_id: str, namespace: str | None = None) -> dict | None:
        return self.store.get_attempt(attempt_id, namespace=self._ns(namespace))

    def attempts(self, namespace: str | None = None, limit: int = 100) -> list[dict]:
        return self.store.attempts(limit, namespace=self._ns(namespace))

    # -- helpers ----------------------------------------------------------------------------
    def _evaluate(self, code: str, inputs: list[Any]) -> list[tuple[Any, Any]]:
        if self.evaluator is None:
            raise EvaluationUnavailableError("evaluation was requested but this server has no sandboxed executor")
        try:
            results = self.evaluator(code, inputs)
        except Exception as e:  # noqa: BLE001 - the sandbox itself failed, not the program
            raise EvaluationUnavailableError(f"sandboxed evaluation failed: {type(e).__name__}: {e}") from None
        # Inputs the code crashed on are not behaviour: only successful outputs are observations.
        return [(i, out) for i, (out, err) in zip(inputs, results) if err is None]


def _test_meta(req: AttemptRequest) -> dict[str, int]:
    return {k: v for k, v in (("tests_passed", req.tests_passed), ("tests_total", req.tests_total)) if v is not None}


def _jsonable(obj: Any) -> Any:
    return json.loads(json.dumps(obj, default=repr))
