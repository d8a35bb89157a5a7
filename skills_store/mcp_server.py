"""MCP face of the memory service (official `mcp` SDK, v2 `MCPServer`).

Transports: stdio (the agent spawns `soar serve mcp --store PATH`) and streamable HTTP
(`soar serve mcp --transport http --port P`, endpoint /mcp, plus GET /health). One server is bound
to one namespace. Tool arguments are flat (what an agent fills in most reliably); each tool builds
the service's request model, so validation is identical to the REST face. Failures come back as
tool errors (`is_error`) whose text says what to fix; nothing is written for a rejected call.

Tool functions are sync: the SDK runs them in worker threads, so a slow search does not block the
event loop that serves other sessions.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError

from .errors import StoreError
from .schema import MAX_CODE_CHARS
from .service import (
    MAX_IDS, MAX_K, MAX_TEXT_CHARS, AttemptRequest, AttemptResponse, MemoryService, Observation, OutcomeRequest,
    OutcomeResponse, SearchRequest, SearchResponse, SkillOut,
)

INSTRUCTIONS = """\
A skill library that learns which code works. Workflow for a coding task:
1. search_skills(query=<task description>) before writing code; adapt the returned skills' code.
2. After running your tests, record_attempt(task, code, passed, tests_passed, tests_total, feedback,
   observations, skill_ids=<ids of the skills you used>). Passing code becomes a reusable skill; a failure
   with observations (inputs and what the code actually output) becomes a hindsight skill.
3. When an attempt fails, search_skills(query=<task>, mode="refine", failing_code=..., feedback=<error>) for
   skills that fix similar failures, then record the refined attempt with mode="refine".
Code you send is stored, never executed."""

Mode = Literal["sample", "refine"]


@dataclass(frozen=True)
class McpConfig:
    namespace: str | None = None  # None: the store's default namespace
    name: str = "soar-skills"


def _explain(e: ValidationError) -> str:
    parts = []
    for err in e.errors()[:5]:
        loc = ".".join(str(x) for x in err["loc"]) or "arguments"
        parts.append(f"{loc}: {err['msg']}")
    return "invalid arguments: " + "; ".join(parts)


def build_server(service: MemoryService, config: McpConfig | None = None):
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
    from starlette.requests import Request
    from starlette.responses import JSONResponse

    cfg = config or McpConfig()
    ns = cfg.namespace
    mcp = MCPServer(cfg.name, instructions=INSTRUCTIONS, log_level="WARNING")

    def call(fn, make_req=None, **kw: Any):
        try:
            req = make_req(**kw) if make_req else None
            return fn(req, ns) if make_req else fn(ns)
        except ValidationError as e:
            raise ToolError(_explain(e)) from None
        except (StoreError, ValueError) as e:
            raise ToolError(str(e)) from None

    @mcp.tool(description="Find skills (code + description + success rates) for a task. mode='sample' before a "
                          "first attempt; mode='refine' with failing_code/feedback to find fixes for a failing attempt. "
                          "Returns skills ranked by relevance and past success, each with an id to cite in record_attempt.")
    def search_skills(
        query: Annotated[str, Field(description="The task description, in plain words.", max_length=MAX_TEXT_CHARS)],
        mode: Annotated[Mode, Field(description="'sample' (first attempt) or 'refine' (fix a failing attempt).")] = "sample",
        k: Annotated[int, Field(description="How many skills to return.", ge=1, le=MAX_K)] = 5,
        kind: Annotated[str | None, Field(description="Only skills of this kind, e.g. 'code'.")] = None,
        failing_code: Annotated[str | None, Field(description="refine: the code that failed.", max_length=MAX_CODE_CHARS)] = None,
        feedback: Annotated[str | None, Field(description="refine: the error or failing test output.", max_length=MAX_TEXT_CHARS)] = None,
        fresh: Annotated[bool, Field(description="Wait until attempts you recorded just before are searchable "
                                                 "(they are indexed in the background, usually within a second).")] = False,
    ) -> SearchResponse:
        return call(service.search_skills, SearchRequest, query=query, mode=mode, k=k, kind=kind,
                    failing_code=failing_code, feedback=feedback, fresh=fresh)

    @mcp.tool(description="Record an attempt after running its tests. Stores it, updates the success rates of the "
                          "skills you used (skill_ids), and learns from it: passing code becomes a skill for the task; "
                          "a failure with observations (inputs -> what the code actually output) becomes a hindsight "
                          "skill. The code is stored, never executed.")
    def record_attempt(
        task: Annotated[str, Field(description="The task description the code attempted.", max_length=MAX_TEXT_CHARS)],
        code: Annotated[str, Field(description="The full code of the attempt.", max_length=MAX_CODE_CHARS)],
        passed: Annotated[bool, Field(description="True if all tests passed.")],
        tests_passed: Annotated[int | None, Field(description="Number of tests that passed.", ge=0)] = None,
        tests_total: Annotated[int | None, Field(description="Number of tests run.", ge=0)] = None,
        feedback: Annotated[str | None, Field(description="Errors or failing test output.", max_length=MAX_TEXT_CHARS)] = None,
        observations: Annotated[list[Observation] | None, Field(
            description="Observed behaviour: [{input, output}] pairs of what the code actually produced.", max_length=50)] = None,
        skill_ids: Annotated[list[str] | None, Field(description="Ids of skills (from search_skills) you used.", max_length=MAX_IDS)] = None,
        mode: Annotated[Mode, Field(description="'sample' for a first attempt, 'refine' for a fix.")] = "sample",
        kind: Annotated[str, Field(description="Label for skills made from this attempt.")] = "code",
        attempt_id: Annotated[str | None, Field(description="Idempotency key: recording the same id twice counts once.")] = None,
    ) -> AttemptResponse:
        return call(service.record_attempt, AttemptRequest, task=task, code=code, passed=passed,
                    tests_passed=tests_passed, tests_total=tests_total, feedback=feedback,
                    observations=[o.model_dump() for o in observations or []], skill_ids=skill_ids or [],
                    mode=mode, kind=kind, attempt_id=attempt_id)

    @mcp.tool(description="Report whether skills you used helped, without recording an attempt "
                          "(updates their sample or refine success rate).")
    def report_outcome(
        skill_ids: Annotated[list[str], Field(description="Ids of the skills used.", min_length=1, max_length=MAX_IDS)],
        mode: Annotated[Mode, Field(description="'sample' or 'refine'.")],
        success: Annotated[bool, Field(description="Did the attempt that used them succeed?")],
    ) -> OutcomeResponse:
        return call(service.report_outcome, OutcomeRequest, skill_ids=skill_ids, mode=mode, success=success)

    @mcp.tool(description="One skill by id: code, description, both success rates and use counts.")
    def get_skill(skill_id: Annotated[str, Field(description="A skill id, e.g. sk_0123abcd...")]) -> SkillOut:
        return call(lambda n: service.get_skill(skill_id, n))

    @mcp.tool(description="The event history of one skill: when it was added, each outcome, supersession.")
    def skill_history(skill_id: Annotated[str, Field(description="A skill id.")]) -> dict:
        return {"events": [e.model_dump() for e in call(lambda n: service.skill_history(skill_id, n))]}

    @mcp.tool(description="Library statistics: skill counts by source and kind, uses, mean success rates.")
    def stats() -> dict:
        return call(service.stats)

    @mcp.tool(description="Export the whole library as a JSONL bundle (text; `soar skills import` reads it).")
    def export_skills() -> str:
        return call(service.export)

    @mcp.custom_route("/health", methods=["GET"])
    async def health(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return mcp
