"""Start (or resume) the SOAR loop over a suite: run the graph over the parts that
`mechacoder_soar.assembly` opens, and report progress."""
from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from mechacoder_soar import adaptation
from mechacoder_soar.assembly import open_run
from mechacoder_soar.config import RunConfig
from mechacoder_soar.run_dir import RunDir

from .soar_loop import compile_loop, run_config

THREAD = "soar-run"


class RunExists(RuntimeError):
    pass


def run_loop(cfg: RunConfig, *, resume: bool = False, on_event: Callable[[str, dict], None] | None = None,
             library=None) -> dict:
    """Run cfg.iterations iterations; returns the metrics dict. `library` may be an open SkillStore."""
    from mechacoder_soar.suites import load_tasks

    cfg, rd = _run_dir(cfg, resume)
    tasks = load_tasks(cfg.suite, cfg.limit, cfg.task_ids or None)
    if not tasks:
        raise ValueError(f"suite {cfg.suite!r} selected no tasks")
    emit = on_event or (lambda kind, data: None)
    with contextlib.ExitStack() as stack:
        ctx = open_run(cfg, tasks, rd, stack, library=library)
        graph = compile_loop(str(rd.checkpoint_db))
        conf = run_config(THREAD, cfg.concurrency, cfg.iterations)
        inp = _graph_input(graph, conf, cfg, [t.id for t in tasks], resume)
        emit("start", {"tasks": len(tasks), "iterations": cfg.iterations, "run_dir": str(rd.path),
                       "library": ctx.library.stats()["skills"], "proposer": ctx.proposer.name})
        t0 = time.time()
        for update in graph.stream(inp, conf, context=ctx, stream_mode="updates"):
            for node, data in update.items():
                if node == "search_task" and data:
                    for summary in data["results"].values():
                        emit("task", summary)
                elif node == "score" and data:
                    emit("iteration", data["metrics"][0])
        if cfg.adapt:
            emit("adapt", adaptation.finish(cfg, ctx.library, rd))
        emit("done", {"wall_s": time.time() - t0})
    return rd.metrics()


def _run_dir(cfg: RunConfig, resume: bool) -> tuple[RunConfig, RunDir]:
    """The run directory, with the run's config saved in it. A resumed run keeps its saved task
    list and budgets; only the iteration count may grow."""
    rd_path = Path(cfg.run_dir)
    if not resume and (rd_path / "checkpoints.sqlite").exists():
        raise RunExists(f"run directory {rd_path} already holds a run: pass --resume to continue it, or choose a new --run-dir")
    if resume:
        if not (rd_path / "config.json").exists():
            raise RunExists(f"nothing to resume in {rd_path}: no config.json")
        saved = RunConfig.load(rd_path / "config.json")
        cfg = replace(saved, iterations=max(saved.iterations, cfg.iterations))
    rd = RunDir(rd_path)
    cfg.save(rd.path / "config.json")
    return cfg, rd


def _graph_input(graph, conf: dict, cfg: RunConfig, task_ids: list[str], resume: bool) -> dict | None:
    """The graph's input: a fresh state, or None to continue the checkpointed one."""
    if not (resume and graph.get_state(conf).values):
        return {"iteration": 0, "iterations": cfg.iterations, "task_ids": task_ids,
                "results": {}, "learned": {}, "metrics": [], "started": {}}
    state = graph.get_state(conf)
    # Never write state while a superstep is pending: that would drop the saved writes of the
    # tasks that finished before the kill. Only a finished run is extended.
    if not state.next and state.values.get("iteration", 0) < cfg.iterations:
        graph.update_state(conf, {"iterations": cfg.iterations}, as_node="score")
    return None
