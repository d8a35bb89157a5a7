"""Start (or resume) the SOAR loop over a suite: run the graph over the parts that
`mechacoder_soar.assembly` opens, and report progress."""
from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

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

    rd_path = Path(cfg.run_dir)
    if not resume and (rd_path / "checkpoints.sqlite").exists():
        raise RunExists(f"run directory {rd_path} already holds a run: pass --resume to continue it, or choose a new --run-dir")
    if resume:
        if not (rd_path / "config.json").exists():
            raise RunExists(f"nothing to resume in {rd_path}: no config.json")
        saved = RunConfig.load(rd_path / "config.json")
        # A resumed run keeps its task list and budgets; only the iteration count may grow.
        cfg = replace(saved, iterations=max(saved.iterations, cfg.iterations))
    rd = RunDir(rd_path)
    cfg.save(rd.path / "config.json")
    tasks = load_tasks(cfg.suite, cfg.limit, cfg.task_ids or None)
    if not tasks:
        raise ValueError(f"suite {cfg.suite!r} selected no tasks")
    emit = on_event or (lambda kind, data: None)
    with contextlib.ExitStack() as stack:
        ctx = open_run(cfg, tasks, rd, stack, library=library)
        library, proposer = ctx.library, ctx.proposer
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
        emit("done", {"wall_s": time.time() - t0})
    return rd.metrics()
