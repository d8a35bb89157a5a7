"""--executor ray on a real local Ray cluster (2 CPUs): real actors, real sandboxed executor pools,
real store snapshot. Proposers are test doubles here except in the end-to-end run."""
import functools
import hashlib
import json
import os
import time

import pytest

from mechacoder_soar.config import RunConfig
from mechacoder_soar.context import RunContext
from mechacoder_soar.domain import Attempt
from mechacoder_soar.environments.arc import ArcEnvironment
from mechacoder_soar.library_search.config import SearchConfig
from mechacoder_soar.oracle import Oracle
from mechacoder_soar.proposers.base import Proposal
from mechacoder_soar.run_dir import RunDir
from mechacoder_soar.suites import load_tasks
from tests.conftest import ROOT

ray = pytest.importorskip("ray")

FLIP_TASK = "68b16354"      # upside-down flip
TRANSPOSE_TASK = "74dd1130"  # transpose
GOOD = {FLIP_TASK: "def transform(grid):\n    return grid[::-1]",
        TRANSPOSE_TASK: "def transform(grid):\n    return [list(r) for r in zip(*grid)]"}


def wrong(tag) -> str:
    """A wrong program whose outputs differ by tag (six extra rows spell a hash of it): the task
    search journals no output set twice, so programs that only differed in a comment would collapse."""
    h = int(hashlib.sha256(str(tag).encode()).hexdigest()[:8], 16) % 10**6
    digits = [(h // 10**j) % 10 for j in range(6)]
    return ("def transform(grid):\n"
            f"    return [[(v + 1) % 10 for v in r] for r in grid] + [[d] * len(grid[0]) for d in {digits}]  # {tag}")


class ScriptedProposer:
    """Deterministic: samples wrong programs (named by their seed), refines to the right one.
    Every proposal records the pid of the process that made it."""

    name = "scripted"

    def __init__(self, cfg=None, library=None):
        self.library = library

    def sample(self, task, skills, n, seed=0):
        return [Proposal(wrong(f"{seed}-{i}"), [s.id for s in skills[:1]], {"pid": os.getpid()}) for i in range(n)]

    def refine(self, task, parent, skills, n, seed=0):
        return [Proposal(GOOD[task.id], [s.id for s in skills[:1]], {"pid": os.getpid()})]


class CrashingProposer(ScriptedProposer):
    """Kills its own worker process on its second sampling call, once (the marker file says so),
    after the driver has journalled the first batch (else the crash could overtake the stream)."""

    def __init__(self, marker, journal, cfg=None, library=None):
        super().__init__(cfg, library)
        self.marker, self.journal, self.calls = marker, journal, 0

    def sample(self, task, skills, n, seed=0):
        self.calls += 1
        if self.calls == 2 and not os.path.exists(self.marker):
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and (
                    not os.path.exists(self.journal) or len(open(self.journal).read().splitlines()) < 2):
                time.sleep(0.05)
            with open(self.marker, "w") as f:
                f.write(str(os.getpid()))
            os._exit(1)  # the actor process dies mid-task, its first batch already streamed back
        # the pid in the code makes a re-executed batch a *different* attempt, so duplicates would show
        return [Proposal(wrong(f"{seed}-{i}-pid{os.getpid()}"), [], {"pid": os.getpid()}) for i in range(n)]


@pytest.fixture(scope="module")
def ray_cluster():
    # Workers must import this test module (the proposers above) and the repository's packages.
    ray.init(num_cpus=2, include_dashboard=False, logging_level="warning",
             runtime_env={"env_vars": {"PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}})
    yield
    ray.shutdown()


def make_cfg(tmp_path, **kw):
    base = dict(suite="arc1-train", task_ids=[FLIP_TASK, TRANSPOSE_TASK], iterations=1, budget_sample=4,
                budget_refine=1, sample_batch=2, run_dir=str(tmp_path / "run"), concurrency=2, workers=1,
                k_skills=1, executor="ray")
    base.update(kw)
    return RunConfig(**base)


def make_ctx(cfg, library, run_dir):
    from mechacoder_soar.assembly import open_environments
    import contextlib

    tasks = load_tasks(cfg.suite, None, cfg.task_ids)
    stack = contextlib.ExitStack()
    ctx = RunContext(config=cfg, tasks={t.id: t.public() for t in tasks}, oracle=Oracle({t.id: t for t in tasks}),
                     proposer=ScriptedProposer(), environments=open_environments(cfg, {"arc"}, stack),
                     library=library, run_dir=RunDir(run_dir))
    return ctx, stack


@pytest.mark.slow  # ~30 s here: the actor loads MiniLM to embed its refinement query
@pytest.mark.store_backends("embedded")
def test_ray_search_matches_local_search_exactly(ray_cluster, library, tmp_path):
    """Same attempts (ids, programs, outcomes, context skills) and summary as task_search run
    in-process; the programs were proposed and executed in the Ray actor, not here."""
    from mechacoder_soar.distributed.ray_search import RaySearchBackend, RaySearchConfig
    from mechacoder_soar.task_search import search_task

    cfg = make_cfg(tmp_path)
    ctx, stack = make_ctx(cfg, library, tmp_path / "ray")
    with stack, RaySearchBackend(ctx, RaySearchConfig(num_workers=1), ScriptedProposer) as backend:
        remote = backend(FLIP_TASK, 0)
        local_ctx, _ = make_ctx(cfg, library, tmp_path / "local")
        local_ctx.environments = ctx.environments
        local = search_task(local_ctx, FLIP_TASK, 0)
    for s in (remote, local):
        s.pop("wall_s")
    assert remote == local
    assert remote["attempts"] == 5 and remote["train_solved"]  # 4 samples + 1 refinement that fixes it
    got = {a.id: a for a in ctx.run_dir.attempts(0, FLIP_TASK)}
    want = {a.id: a for a in local_ctx.run_dir.attempts(0, FLIP_TASK)}
    assert set(got) == set(want)
    for aid, a in got.items():
        assert a.model_dump(exclude={"runtime_s", "meta"}) == want[aid].model_dump(exclude={"runtime_s", "meta"})
        assert a.meta["pid"] != os.getpid()  # proposed in the actor
    # retrieved skills reached the worker: the refinement was shown a library skill
    assert any(a.context_skill_ids for a in got.values())


@pytest.mark.store_backends("embedded")
def test_worker_death_mid_task_is_retried_without_duplicate_attempts(ray_cluster, library, tmp_path):
    from mechacoder_soar.distributed.ray_search import RaySearchBackend, RaySearchConfig

    marker = tmp_path / "crashed.pid"
    cfg = make_cfg(tmp_path, budget_refine=0)
    ctx, stack = make_ctx(cfg, library, tmp_path / "run")
    with stack, RaySearchBackend(ctx, RaySearchConfig(num_workers=1),
                                 functools.partial(CrashingProposer, str(marker), str(tmp_path / "run" / "work" / "iter-0.jsonl"))) as backend:
        summary = backend(FLIP_TASK, 0)
    assert marker.exists(), "the worker never crashed: the test proves nothing"
    dead_pid = int(marker.read_text())
    assert backend.retries == 1
    attempts = ctx.run_dir.attempts(0, FLIP_TASK)
    assert summary["attempts"] == len(attempts) == cfg.budget_sample  # not 6: the streamed batch was kept
    pids = [a.meta["pid"] for a in attempts]
    assert pids.count(dead_pid) == 2 and len(set(pids)) == 2
    lines = (tmp_path / "run" / "work" / "iter-0.jsonl").read_text().splitlines()
    assert len(lines) == len({json.loads(x)["id"] for x in lines}) == 4


@pytest.mark.slow  # ~30 s here: two iterations of library search on two actors
@pytest.mark.store_backends("embedded")
def test_soar_run_with_ray_executor_end_to_end(ray_cluster, store, tmp_path):
    """The real loop (graph, checkpointer, library-search proposer on the workers, learning in the
    driver) with search on two Ray actors."""
    from graphs.runner import run_loop

    cfg = make_cfg(tmp_path, proposer="library", iterations=2, budget_sample=4, budget_refine=0,
                   search=SearchConfig(time_limit_s=3.0), k_skills=2)
    before = store.stats()["skills"]
    metrics = run_loop(cfg, library=store)
    rows = metrics["iterations"]
    assert [r["iteration"] for r in rows] == [0, 1]
    assert all(r["attempts"] > 0 for r in rows)
    assert rows[0]["train_solved"] >= 1  # a flip is a depth-1 program for the library search
    assert store.stats()["skills"] > before  # learned centrally from the workers' attempts
    ids = [json.loads(x)["id"] for x in (tmp_path / "run" / "attempts.jsonl").read_text().splitlines()]
    assert len(ids) == len(set(ids)) == sum(r["attempts"] for r in rows)
