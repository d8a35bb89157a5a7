"""REST face of the memory service (FastAPI). OpenAPI at /openapi.json, docs at /docs.

Auth: with a TokenMap every route except /health needs `Authorization: Bearer TOKEN` and works in
that token's namespace only (401 otherwise). Without one the server is meant for loopback only
(the CLI refuses another host) and everything happens in the service's default namespace.

Routes are plain `def`: FastAPI runs them in its thread pool, and the store serialises what must
be serialised (SQLite transactions, the embedder).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from .auth import TokenMap
from .errors import InvalidInputError, SkillNotFoundError, StoreError
from .schema import Event
from .service import (
    AttemptRequest, AttemptResponse, EvaluationUnavailableError, IndexNotReadyError, MemoryService, OutcomeRequest,
    OutcomeResponse, SearchRequest, SearchResponse, SkillOut,
)

log = logging.getLogger("skills_store.http")

DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024  # a 200k-character program, JSON-escaped, fits


@dataclass(frozen=True)
class HttpConfig:
    tokens: TokenMap | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES


class BodyLimit:
    """ASGI middleware: refuse bodies over `limit` bytes with 413 before the app parses them,
    whether the client sent Content-Length or streams chunks."""

    def __init__(self, app: Any, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for k, v in scope.get("headers", []):
            if k == b"content-length" and v.isdigit() and int(v) > self.limit:
                return await self._reject(scope, receive, send)
        seen = 0

        async def limited_receive() -> dict:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return msg

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await self._reject(scope, receive, send)

    async def _reject(self, scope: dict, receive: Any, send: Any) -> None:
        resp = JSONResponse({"error": f"request body exceeds {self.limit} bytes; nothing was changed"}, status_code=413)
        await resp(scope, receive, send)


class _TooLarge(Exception):
    pass


def create_app(service: MemoryService, config: HttpConfig | None = None) -> FastAPI:
    cfg = config or HttpConfig()
    app = FastAPI(
        title="mechacoder-soar skill memory",
        version="1.0",
        description="Search a self-improving skill library and record attempts so it learns which skills work. "
                    "Code you send is stored, never executed (unless you ask for sandboxed evaluation).",
    )
    bearer = HTTPBearer(auto_error=False, description="Token from the server's tokens file; selects your namespace.")

    def namespace(creds: HTTPAuthorizationCredentials | None = Depends(bearer)) -> str:
        if cfg.tokens is None:
            return service.default_namespace
        ns = cfg.tokens.namespace_for(creds.credentials if creds else None)
        if ns is None:
            raise _Unauthorized()
        return ns

    # -- errors: one JSON shape {"error": message, ...} -------------------------------------
    @app.exception_handler(_Unauthorized)
    async def _unauth(_: Request, __: Exception) -> JSONResponse:
        return JSONResponse({"error": "missing or invalid bearer token"}, status_code=401,
                            headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, e: RequestValidationError) -> JSONResponse:
        errs = e.errors()
        parts = []
        for err in errs[:5]:
            loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body") or "body"
            parts.append(f"{loc}: {err.get('msg')}")
        detail = [{"loc": list(err.get("loc", ())), "msg": err.get("msg"), "type": err.get("type")} for err in errs[:20]]
        return JSONResponse({"error": "invalid request: " + "; ".join(parts), "detail": detail}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, e: StarletteHTTPException) -> JSONResponse:
        msg = str(e.detail)
        if e.status_code == 400 and "parsing the body" in msg:
            # FastAPI's words for a body that is not UTF-8 JSON at all.
            msg = "request body could not be parsed: send a UTF-8 encoded JSON object"
        return JSONResponse({"error": msg}, status_code=e.status_code, headers=getattr(e, "headers", None))

    @app.exception_handler(SkillNotFoundError)
    async def _nf(_: Request, e: SkillNotFoundError) -> JSONResponse:
        return JSONResponse({"error": str(e)}, status_code=404)

    @app.exception_handler(EvaluationUnavailableError)
    async def _noeval(_: Request, e: EvaluationUnavailableError) -> JSONResponse:
        return JSONResponse({"error": str(e)}, status_code=501)

    @app.exception_handler(IndexNotReadyError)
    async def _not_ready(_: Request, e: IndexNotReadyError) -> JSONResponse:
        return JSONResponse({"error": str(e)}, status_code=503, headers={"Retry-After": "1"})

    @app.exception_handler(InvalidInputError)
    async def _bad(_: Request, e: InvalidInputError) -> JSONResponse:
        return JSONResponse({"error": str(e)}, status_code=422)

    @app.exception_handler(StoreError)
    async def _store(_: Request, e: StoreError) -> JSONResponse:
        log.exception("store error")
        return JSONResponse({"error": str(e)}, status_code=500)

    # -- routes -----------------------------------------------------------------------------
    @app.get("/health", tags=["meta"], summary="Liveness and readiness (no token needed).")
    def health() -> dict:
        return {"status": "ok", "auth": cfg.tokens is not None}

    @app.post("/skills/search", response_model=SearchResponse, tags=["skills"],
              summary="Ranked skills for a task (sample) or for fixing a failing attempt (refine).")
    def search(req: SearchRequest, ns: str = Depends(namespace)) -> Response:
        return _json(service.search_skills(req, ns))

    @app.post("/attempts", response_model=AttemptResponse, tags=["attempts"],
              summary="Record an attempt: stores it, updates the used skills' success rates, and turns a pass "
                      "into a solved skill or a failure with observed behaviour into a hindsight skill.")
    def record(req: AttemptRequest, ns: str = Depends(namespace)) -> Response:
        return _json(service.record_attempt(req, ns))

    @app.post("/outcomes", response_model=OutcomeResponse, tags=["skills"],
              summary="Report whether skills helped (updates the sample or refine success rate).")
    def outcome(req: OutcomeRequest, ns: str = Depends(namespace)) -> OutcomeResponse:
        return service.report_outcome(req, ns)

    @app.get("/skills/{skill_id}", response_model=SkillOut, tags=["skills"], summary="One skill with its counters.")
    def get_skill(skill_id: str, ns: str = Depends(namespace)) -> SkillOut:
        return service.get_skill(skill_id, ns)

    @app.get("/skills/{skill_id}/history", response_model=list[Event], tags=["skills"],
             summary="Events of one skill: added, outcomes, superseded.")
    def history(skill_id: str, ns: str = Depends(namespace)) -> list[Event]:
        return service.skill_history(skill_id, ns)

    @app.get("/stats", tags=["meta"], summary="Counts and mean success rates of your namespace.")
    def stats(ns: str = Depends(namespace)) -> dict:
        return service.stats(ns)

    @app.get("/export", tags=["meta"], response_class=Response,
             responses={200: {"content": {"application/x-ndjson": {}}}},
             summary="Your namespace as a JSONL bundle (readable by `soar skills import`).")
    def export(ns: str = Depends(namespace)) -> Response:
        return Response(service.export(ns), media_type="application/x-ndjson",
                        headers={"Content-Disposition": f'attachment; filename="skills-{ns}.jsonl"'})

    app.add_middleware(BodyLimit, limit=cfg.max_body_bytes)
    return app


class _Unauthorized(Exception):
    pass


def _json(model: BaseModel) -> Response:
    """The hot routes' responses, serialised once by pydantic. Returned as a model, FastAPI would
    validate it against `response_model` and serialise it again, on the event loop's GIL; the
    declared `response_model` still documents the route in the OpenAPI spec."""
    return Response(model.model_dump_json(), media_type="application/json")
