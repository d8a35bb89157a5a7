"""Start (or resume) the SOAR loop over a suite: open the parts, run the graph, show progress."""
from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from mechacoder_soar import adaptation
from mechacoder_soar.config import RunConfig
from mechacoder_soar.context import RunContext
from mechacoder_soar.oracle import Oracle
from mechacoder_soar.run_dir import RunDir

from .soar_loop import compile_loop, run_config

THREAD = "soar-run"


class RunExists(RuntimeError):
    pass


def open_environments(cfg: RunConfig, kinds: set[str], stack: contextlib.ExitStack) -> dict:
    envs = {}
    if "arc" in kinds or "code" in kinds:
        from mechacoder_soar.environments.arc import ArcEnvironment
        from mechacoder_soar.executor import ExecConfig, Executor

        ex = stack.enter_context(Executor(ExecConfig(workers=cfg.workers, timeout_s=cfg.program_timeout_s)))
        envs["arc"] = ArcEnvironment(ex)
    if "terminal" in kinds:
        from mechacoder_soar.environments.terminal import TerminalEnvironment

        envs["terminal"] = TerminalEnvironment()
    return envs


def run_loop(cfg: RunConfig, *, resume: bool = False, on_event: Callable[[str, dict], None] | None = None,
             library=None) -> dict:
    """Run cfg.iterations iterations; returns the metrics dict. `library` may be an open SkillStore."""
    from mechacoder_soar.proposers.factory import make_proposer
    from mechacoder_soar.suites import load_tasks

    rd_path = Path(cfg.run_dir)
    if not resume and (rd_path / "checkpoints.sqlite").exists():
        raise RunExists(f"run directory {rd_path} already holds a run: pass --resume to continue it, or choose a new --run-dir")
    if resume:
        if not (rd_path / "config.json").exists():
            raise RunExists(f"nothing to resume in {rd_path}: no config.json")
        saved = RunConfig.load(rd_path / "config.json")
        # A resumed run keeps its task list and budgets; only the iteration count may grow.
        cfg = RunConfig(**{**asdict(saved), "iterations": max(saved.iterations, cfg.iterations)})
    rd = RunDir(rd_path)
    cfg.save(rd.path / "config.json")
    tasks = load_tasks(cfg.suite, cfg.limit, cfg.task_ids or None)
    if not tasks:
        raise ValueError(f"suite {cfg.suite!r} selected no tasks")
    emit = on_event or (lambda kind, data: None)
    with contextlib.ExitStack() as stack:
        if cfg.adapt:  # its own namespace, seeded from the base library (mechacoder_soar/adaptation.py)
            library = adaptation.prepare(cfg, library, stack)
        if library is None:
            from skills_store import StoreConfig
            from skills_store.config import default_store_location
            from skills_store.store import SkillStore

            library = stack.enter_context(SkillStore(StoreConfig(location=cfg.store or default_store_location(),
                                                                 namespace=cfg.namespace)))
        proposer = make_proposer(cfg, library, {t.kind for t in tasks})
        if hasattr(proposer, "close"):
            stack.callback(proposer.close)
        ctx = RunContext(
            config=cfg, tasks={t.id: t.public() for t in tasks}, oracle=Oracle({t.id: t for t in tasks}),
            proposer=proposer, environments=open_environments(cfg, {t.kind for t in tasks}, stack),
            library=library, run_dir=rd,
        )
        if cfg.executor != "local":
            from mechacoder_soar.distributed.ray_search import RaySearchBackend, RaySearchConfig, validate_executor

            validate_executor(cfg.executor)
            ctx.search_backend = stack.enter_context(RaySearchBackend(ctx, RaySearchConfig.from_run_config(cfg)))
        graph = compile_loop(str(rd.checkpoint_db))
        conf = run_config(THREAD, cfg.concurrency, cfg.iterations)
        if resume and graph.get_state(conf).values:
            inp = None
            state = graph.get_state(conf)
            # Never write state while a superstep is pending: that would drop the saved writes of the
            # tasks that finished before the kill. Only a finished run is extended.
            if not state.next and state.values.get("iteration", 0) < cfg.iterations:
                graph.update_state(conf, {"iterations": cfg.iterations}, as_node="score")
        else:
            inp = {"iteration": 0, "iterations": cfg.iterations, "task_ids": [t.id for t in tasks],
                   "results": {}, "learned": {}, "metrics": [], "started": {}}
        emit("start", {"tasks": len(tasks), "iterations": cfg.iterations, "run_dir": str(rd.path),
                       "library": library.stats()["skills"], "proposer": proposer.name})
        t0 = time.time()
        for update in graph.stream(inp, conf, context=ctx, stream_mode="updates"):
            for node, data in update.items():
                if node == "search_task" and data:
                    for summary in data["results"].values():
                        emit("task", summary)
                elif node == "score" and data:
                    emit("iteration", data["metrics"][0])
        if cfg.adapt:
            emit("adapt", adaptation.finish(cfg, library, rd))
        emit("done", {"wall_s": time.time() - t0})
    return rd.metrics()
