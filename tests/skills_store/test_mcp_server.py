"""The MCP face with the SDK's own client: a stdio session (the client spawns `soar serve mcp`) and a
streamable-HTTP session against `soar serve mcp --transport http` on a free loopback port."""
from __future__ import annotations

import asyncio
import json
import os

import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import PYTHON, ROOT
from tests.skills_store.test_http_api import Server, free_port

TOOLS = {"search_skills", "record_attempt", "report_outcome", "get_skill", "skill_history", "stats", "export_skills"}
CODE = "def count_vowels(s):\n    return sum(ch in 'aeiou' for ch in s.lower())"


def _data(result) -> dict:
    assert not result.is_error, result.content
    if result.structured_content is not None:
        sc = result.structured_content
        return sc.get("result", sc) if isinstance(sc, dict) and set(sc) == {"result"} else sc
    return json.loads(result.content[0].text)


async def _exercise(session: ClientSession) -> None:
    init = await session.initialize()
    assert init.server_info.name == "soar-skills" and "search_skills" in (init.instructions or "")
    tools = {t.name: t for t in (await session.list_tools()).tools}
    assert TOOLS <= set(tools)
    rec = tools["record_attempt"]
    assert {"task", "code", "passed"} <= set(rec.input_schema["required"])
    assert rec.description and "never executed" in rec.description
    assert rec.input_schema["properties"]["observations"]

    r = _data(await session.call_tool("record_attempt", {
        "task": "count the vowels in a word", "code": CODE, "passed": True, "tests_passed": 5, "tests_total": 5}))
    sid = r["new_skill_id"]
    assert r["recorded"] and r["new_skill_source"] == "solved"
    hits = _data(await session.call_tool("search_skills", {"query": "how many vowels does a string have", "k": 2, "fresh": True}))
    top = hits["skills"][0]
    assert top["id"] == sid and top["code"] == CODE and "sampling_ema" in top and "refine_ema" in top

    r = _data(await session.call_tool("record_attempt", {
        "task": "count the vowels including y", "code": CODE.replace("aeiou", "aei"), "passed": False, "skill_ids": [sid],
        "feedback": "expected 2 for 'sky', got 0", "observations": [{"input": "sky", "output": 0}]}))
    assert r["new_skill_source"] == "hindsight" and r["updated_skills"] == [sid]
    assert _data(await session.call_tool("get_skill", {"skill_id": sid}))["sampling_uses"] == 1
    _data(await session.call_tool("report_outcome", {"skill_ids": [sid], "mode": "refine", "success": True}))
    events = _data(await session.call_tool("skill_history", {"skill_id": sid}))["events"]
    assert [e["kind"] for e in events] == ["added", "outcome", "outcome"]
    st = _data(await session.call_tool("stats", {}))
    assert st["skills"] == 2 and st["by_source"] == {"solved": 1, "hindsight": 1}

    # Malformed calls are tool errors naming the problem, and change nothing.
    bad = await session.call_tool("record_attempt", {"task": "t", "code": "x", "passed": "perhaps"})
    assert bad.is_error and "passed" in bad.content[0].text
    bad = await session.call_tool("record_attempt", {"task": "t", "code": "x", "passed": True, "skill_ids": ["sk_nope"]})
    assert bad.is_error and "sk_nope" in bad.content[0].text
    bad = await session.call_tool("search_skills", {"query": "x", "mode": "refine"})
    assert bad.is_error and "feedback" in bad.content[0].text
    bad = await session.call_tool("get_skill", {"skill_id": "sk_nope"})
    assert bad.is_error and "sk_nope" in bad.content[0].text
    assert _data(await session.call_tool("stats", {})) == st
    export = await session.call_tool("export_skills", {})
    assert len(export.content[0].text.strip().splitlines()) == 3


@pytest.fixture(scope="module")
def http_mcp(tmp_path_factory):
    # Started first so its model load overlaps with the stdio test's.
    d = tmp_path_factory.mktemp("mcp-http")
    srv = Server(["mcp", "--transport", "http", "--store", str(d / "store")], free_port(), d / "server.log")
    yield srv
    srv.stop()


def test_stdio_session(http_mcp, tmp_path):
    params = StdioServerParameters(command=PYTHON, args=["-m", "mechacoder_soar", "serve", "mcp", "--store",
                                                         str(tmp_path / "store")],
                                   cwd=str(ROOT), env={"PYTHONPATH": str(ROOT), **{k: os.environ[k] for k in ("HOME",) if k in os.environ}})

    async def run() -> None:
        with open(tmp_path / "stderr.log", "w") as errlog:
            async with stdio_client(params, errlog=errlog) as (read, write):
                async with ClientSession(read, write, read_timeout_seconds=180) as session:
                    await _exercise(session)

    asyncio.run(asyncio.wait_for(run(), 300))


def test_streamable_http_session(http_mcp):
    http_mcp.wait_ready()

    async def run() -> None:
        async with streamable_http_client(http_mcp.url + "/mcp") as (read, write):
            async with ClientSession(read, write, read_timeout_seconds=120) as session:
                await _exercise(session)

    asyncio.run(asyncio.wait_for(run(), 300))


def test_http_transport_refuses_public_host(tmp_path):
    import subprocess

    r = subprocess.run([PYTHON, "-m", "mechacoder_soar", "serve", "mcp", "--transport", "http", "--host", "0.0.0.0",
                        "--store", str(tmp_path / "s")], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "loopback" in r.stderr
