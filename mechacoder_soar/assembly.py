"""Assembly of a run's parts from its RunConfig: the library, the proposer, the environments and
the search backend, opened on one ExitStack so they close together.

One place for it because three callers build runs: the graph runner (`graphs/runner.py`, for the
CLI and the benchmarks), the Ray search workers (`distributed/ray_search.py`, environments only)
and tests. The graph layer only runs what this module has opened.
"""
from __future__ import annotations

import contextlib
from typing import Any

from .config import RunConfig
from .context import RunContext
from .domain import Task
from .environments.base import Environment
from .oracle import Oracle
from .run_dir import RunDir


def open_environments(cfg: RunConfig, kinds: set[str], stack: contextlib.ExitStack) -> dict[str, Environment]:
    """One environment per task kind; ARC (and plain code) tasks share one sandboxed executor pool."""
    envs: dict[str, Environment] = {}
    if "arc" in kinds or "code" in kinds:
        from .environments.arc import ArcEnvironment
        from .executor import ExecConfig, Executor

        ex = stack.enter_context(Executor(ExecConfig(workers=cfg.workers, timeout_s=cfg.program_timeout_s)))
        envs["arc"] = ArcEnvironment(ex)
    if "terminal" in kinds:
        from .environments.terminal import TerminalEnvironment

        envs["terminal"] = TerminalEnvironment()
    return envs


def open_library(cfg: RunConfig, stack: contextlib.ExitStack):
    """The run's skill store: `cfg.store` (or the default location), namespace `cfg.namespace`."""
    from skills_store import StoreConfig
    from skills_store.config import default_store_location
    from skills_store.store import SkillStore

    return stack.enter_context(SkillStore(StoreConfig(location=cfg.store or default_store_location(),
                                                      namespace=cfg.namespace)))


def open_search_backend(ctx: RunContext, stack: contextlib.ExitStack) -> Any:
    """`ctx.search_backend` for cfg.executor: None (search in this process) or a started Ray backend."""
    cfg = ctx.config
    if cfg.executor == "local":
        return None
    from .distributed.ray_search import RaySearchBackend, RaySearchConfig, validate_executor

    validate_executor(cfg.executor)
    return stack.enter_context(RaySearchBackend(ctx, RaySearchConfig.from_run_config(cfg)))


def open_run(cfg: RunConfig, tasks: list[Task], run_dir: RunDir, stack: contextlib.ExitStack,
             library: Any = None) -> RunContext:
    """Everything a run's engines share, opened on `stack`. `library` may be an already open store
    (the caller keeps it open); otherwise cfg.store is opened here. `soar adapt` runs in a
    namespace of its own, seeded from the base library (adaptation.py)."""
    from .proposers.factory import make_proposer

    if cfg.adapt:
        from .adaptation import prepare

        library = prepare(cfg, library, stack)
    elif library is None:
        library = open_library(cfg, stack)
    kinds = {t.kind for t in tasks}
    proposer = make_proposer(cfg, library, kinds)
    if hasattr(proposer, "close"):
        stack.callback(proposer.close)
    ctx = RunContext(
        config=cfg, tasks={t.id: t.public() for t in tasks}, oracle=Oracle({t.id: t for t in tasks}),
        proposer=proposer, environments=open_environments(cfg, kinds, stack), library=library, run_dir=run_dir,
    )
    ctx.search_backend = open_search_backend(ctx, stack)
    return ctx
