"""`soar serve mcp|http`: run the memory service as the one owner of a store directory.

Embedded Chroma allows one process per directory, so agents share a store by talking to one of
these servers, never by opening the directory themselves. Heavy imports happen inside commands.
"""
from __future__ import annotations

import logging
import sys
from typing import Any, Optional

import typer

from .common import STORE_HELP, fail

app = typer.Typer(help="Serve the skill library to coding agents (MCP or REST).", no_args_is_help=True)

LOOPBACK = ("127.0.0.1", "localhost", "::1")
log = logging.getLogger("soar.serve")


def _say(msg: str) -> None:
    # stderr always: in stdio mode stdout is the MCP channel.
    print(f"[soar serve] {msg}", file=sys.stderr, flush=True)


def hindsight_relabeller():
    """Wire `mechacoder_soar.hindsight.relabel_behaviour` into the service's relabeller slot
    (skills_store stays ignorant of the domain package)."""
    from mechacoder_soar.hindsight import relabel_behaviour, text_task

    def relabel(task: str, code: str, observations: list[tuple[Any, Any]], kind: str, attempt_id: str):
        r = relabel_behaviour(text_task(task, kind), code, observations, kind=kind, attempt_id=attempt_id)
        return r.skill if r else None

    return relabel


def sandboxed_evaluator():
    """(evaluator, closer) backed by the bubblewrap executor, or (None, noop) when it is not
    available here; the service then answers evaluation requests with a clear 'unavailable'."""
    try:
        from mechacoder_soar.executor import ExecConfig, Executor
    except Exception as e:  # noqa: BLE001 - any import failure means: no evaluation
        _say(f"sandboxed evaluation disabled ({type(e).__name__}: {e})")
        return None, lambda: None
    # Agents' code arrives over the network: insist on bubblewrap rather than the executor's
    # rlimits-only fallback. The pool starts lazily, so an unused evaluator costs nothing.
    ex = Executor(ExecConfig(validate="json", sandbox="bubblewrap", workers=1))

    def evaluate(code: str, inputs: list[Any]) -> list[tuple[Any, str | None]]:
        res = ex.run_batch([(code, list(inputs))])[0]
        if res.error:
            return [(None, res.error)] * len(inputs)
        return list(zip(res.outputs, res.errors))

    return evaluate, ex.close


# The servers' write-behind window (skills_store/write_behind.py): long enough to batch many
# requests' adds, short enough that shutdown and `fresh` searches wait little (README, "Measured").
WRITE_BEHIND_MS = 250.0


def _open_store(store: Optional[str], namespace: str, coalesce: bool = True, write_behind_ms: float = WRITE_BEHIND_MS,
                embed_behind: bool = True):
    """Like `open_store`, but with the coalescing embedder: a server embeds for many concurrent
    requests, and merging them into one model call keeps tail latency down."""
    from skills_store import StoreConfig, StoreError
    from skills_store.config import default_store_location
    from skills_store.embedding import CoalescingEmbedder, Embedder, with_cache
    from skills_store.store import SkillStore

    # Chroma adds batched in the background (skills_store/write_behind.py): under concurrent
    # requests the per-call cost of an add, paid per request with the GIL held, is the bottleneck
    if write_behind_ms < 0:
        fail(f"--write-behind-ms must be >= 0, got {write_behind_ms}")
    # ... and with embed-behind the writer embeds them too: the model is most of the CPU per record
    # + search, and in the request it queues records behind each other (README, "Memory server")
    cfg = StoreConfig(location=store or default_store_location(), namespace=namespace, index_write_behind_ms=write_behind_ms,
                      index_embed_behind=embed_behind and write_behind_ms > 0)
    try:
        # With embed-behind, one thread per model call: the searches' merged call and the index
        # writer's run at once, and one core each costs less CPU per request than two threads each.
        # Without it every embedding is in the serial commit, whose wall time matters more.
        threads = 1 if cfg.index_embed_behind else 0
        emb = Embedder(cfg.embed_batch_size, threads=threads)
        # the cache in front: a text embedded before never waits in the merge queue
        return SkillStore(cfg, embedder=with_cache(CoalescingEmbedder(emb) if coalesce else emb, cfg.embed_cache),
                          index_embedder=Embedder(cfg.embed_batch_size, threads=threads))
    except (StoreError, ValueError) as e:
        fail(str(e))


def _build_service(store: Optional[str], namespace: str, hindsight: bool, evaluate: bool, coalesce: bool = True,
                   write_behind_ms: float = WRITE_BEHIND_MS, embed_behind: bool = True):
    from skills_store.service import MemoryService

    s = _open_store(store, namespace, coalesce, write_behind_ms, embed_behind)
    # Load the embedding model (and the default namespace's vectors for exact search) now, so
    # "listening" means ready and the first request is not slow.
    s.retrieve("warm up", k=1)
    evaluator, close_eval = sandboxed_evaluator() if evaluate else (None, lambda: None)
    svc = MemoryService(s, relabeller=hindsight_relabeller() if hindsight else None, evaluator=evaluator)

    def close() -> None:
        close_eval()
        s.close()

    return svc, close


StoreOpt = typer.Option(None, "--store", help=STORE_HELP)
NsOpt = typer.Option("default", "--namespace", "-n", help="Namespace used when no token selects one.")
HindsightOpt = typer.Option(True, "--hindsight/--no-hindsight", help="Relabel failed attempts with observations into hindsight skills.")
CoalesceOpt = typer.Option(True, "--coalesce/--no-coalesce", help="Merge concurrent requests' embeddings into one model call.")
WriteBehindOpt = typer.Option(WRITE_BEHIND_MS, "--write-behind-ms", help="Batch the vector index's writes over this many ms in the "
                              "background (buffered vectors are searched too); 0 writes each one in its request, and "
                              "turns --embed-behind off.")
EmbedBehindOpt = typer.Option(True, "--embed-behind/--no-embed-behind", help="With write-behind, embed new skills in the "
                              "background too: records return without waiting for the model, and a new skill is searchable "
                              "once its batch is indexed (well under a second). --no-embed-behind: a search right after a record finds it.")
EvalOpt = typer.Option(True, "--evaluate/--no-evaluate", help="Allow callers to ask for sandboxed evaluation (bubblewrap executor).")


@app.command("mcp")
def mcp_cmd(
    store: Optional[str] = StoreOpt,
    namespace: str = NsOpt,
    transport: str = typer.Option("stdio", "--transport", "-t", help="stdio | http (streamable HTTP at /mcp)."),
    host: str = typer.Option("127.0.0.1", "--host", help="http only: loopback addresses only (MCP has no tokens here)."),
    port: int = typer.Option(8765, "--port", help="http only."),
    hindsight: bool = HindsightOpt,
    evaluate: bool = EvalOpt,
    coalesce: bool = CoalesceOpt,
    write_behind_ms: float = WriteBehindOpt,
    embed_behind: bool = EmbedBehindOpt,
) -> None:
    """MCP server: tools search_skills, record_attempt, report_outcome, get_skill, skill_history, stats, export_skills."""
    if transport not in ("stdio", "http"):
        fail(f"--transport must be 'stdio' or 'http', got {transport!r}")
    if transport == "http" and host not in LOOPBACK:
        fail(f"the MCP HTTP transport has no authentication here: bind to loopback ({', '.join(LOOPBACK)}), "
             "or use `soar serve http --tokens FILE` for remote agents")
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    from skills_store.mcp_server import McpConfig, build_server

    svc, close = _build_service(store, namespace, hindsight, evaluate, coalesce, write_behind_ms, embed_behind)
    server = build_server(svc, McpConfig(namespace=namespace))
    try:
        if transport == "stdio":
            _say(f"MCP over stdio, store {svc.store.config.location}, namespace {namespace!r}")
            server.run("stdio")
        else:
            _say(f"MCP over streamable HTTP at http://{host}:{port}/mcp (loopback only), namespace {namespace!r}")
            server.run("streamable-http", host=host, port=port)
    finally:
        close()


@app.command("http")
def http_cmd(
    store: Optional[str] = StoreOpt,
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    tokens: Optional[str] = typer.Option(None, "--tokens", help="YAML/JSON file {tokens: {TOKEN: namespace}}. "
                                         "Without it: loopback only, default namespace."),
    namespace: str = NsOpt,
    max_body_bytes: int = typer.Option(2 * 1024 * 1024, "--max-body-bytes", help="Larger requests get 413."),
    hindsight: bool = HindsightOpt,
    evaluate: bool = EvalOpt,
    coalesce: bool = CoalesceOpt,
    write_behind_ms: float = WriteBehindOpt,
    embed_behind: bool = EmbedBehindOpt,
) -> None:
    """REST API (FastAPI; OpenAPI at /openapi.json, docs at /docs)."""
    from skills_store.auth import load_tokens
    from skills_store.errors import InvalidInputError

    token_map = None
    if tokens:
        try:
            token_map = load_tokens(tokens)
        except InvalidInputError as e:
            fail(str(e))
    elif host not in LOOPBACK:
        fail(f"refusing to serve on {host} without --tokens: anyone who can reach it could read and write the "
             "library. Give a tokens file, or bind to 127.0.0.1")
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    # One INFO line per request to a Chroma server is noise in a server log (and costs time).
    logging.getLogger("httpx").setLevel(logging.WARNING)
    import uvicorn

    from skills_store.http_api import HttpConfig, create_app

    svc, close = _build_service(store, namespace, hindsight, evaluate, coalesce, write_behind_ms, embed_behind)
    app_ = create_app(svc, HttpConfig(tokens=token_map, max_body_bytes=max_body_bytes))
    if token_map is None:
        _say(f"no tokens file: loopback only ({host}), every request uses namespace {namespace!r}")
    else:
        _say(f"{len(token_map)} token(s) for namespace(s) {sorted(token_map.namespaces())}; requests without a valid token get 401")
    _say(f"REST API on http://{host}:{port} (docs /docs), store {svc.store.config.location}")
    try:
        # Access logs off: they cost more than a request at high rates; errors are still logged.
        uvicorn.run(app_, host=host, port=port, log_level="warning", access_log=False)
    finally:
        close()
