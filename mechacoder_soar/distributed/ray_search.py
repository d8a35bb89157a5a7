"""`soar run --executor ray`: per-task search (sampling, execution, refinement) on a Ray cluster.

    driver (graph, library, run dir)                         Ray actors, one per worker slot
    search_task node --ctx.search_backend(task, it)--> RaySearchBackend --search(task, snapshot, prior)--> SearchWorker
                      <-- summary -------------------    journals each batch <-- attempts, streamed --    own Executor pool
                                                                                                          + environment + proposer
What moves where, and why:
  * The library stays with the driver (it owns the ledger). Workers get a read-only
    `LibrarySnapshot` taken when the iteration's first task is dispatched: nothing writes to the
    library during the search phase (learning runs centrally after every task is searched), so
    retrieval on a worker answers exactly as the central store would. It is `ray.put` once per
    iteration and cached by each actor.
  * Each actor runs the unmodified `task_search.search_task` against a worker-side context: its
    own sandboxed executor pool (`cfg.workers` processes), environment and proposer, the snapshot,
    and a journal that streams every executed batch back to the driver as it is produced.
  * The driver journals those batches in the run directory (deduplicated by deterministic attempt
    id). If an actor dies mid-task, the task is retried on a fresh actor that starts from the
    attempts already journalled, exactly like a resumed local run: nothing is executed or
    recorded twice. Errors raised by the search itself (a proposer bug) are not retried: they
    propagate as they would locally.

Ray is optional (`pip install "ray[default]"`); it is imported only here, only when asked for.
"""
from __future__ import annotations

import contextlib
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..config import RunConfig
from ..context import RunContext
from ..domain import Attempt, Task
from .library_snapshot import LibrarySnapshot

EXECUTORS = ("local", "ray")


class RayUnavailableError(RuntimeError):
    pass


def import_ray():
    try:
        import ray
    except ImportError as e:
        raise RayUnavailableError(
            f"--executor ray needs Ray, an optional extra that is not installed here ({e}): "
            'run `pip install "ray[default]"` in this environment, or use --executor local'
        ) from None
    return ray


def validate_executor(name: str) -> str:
    if name not in EXECUTORS:
        raise ValueError(f"unknown executor {name!r}: choose one of {', '.join(EXECUTORS)}")
    return name


@dataclass(frozen=True)
class RaySearchConfig:
    # ray.init(address=...): "auto", "ray://HOST:10001", "HOST:6379"; None starts a local cluster.
    address: str | None = None
    # Search actors = tasks searched at once across the cluster. Each holds its own executor pool.
    num_workers: int = 2
    cpus_per_worker: float = 1.0
    # Fresh actors a task may get after its actor died mid-task.
    max_retries: int = 2
    # CPUs of a local cluster started here (None: all of this machine's).
    local_num_cpus: int | None = None

    def __post_init__(self) -> None:
        if self.num_workers < 1:
            raise ValueError(f"RaySearchConfig.num_workers must be >= 1, got {self.num_workers}")
        if self.cpus_per_worker <= 0:
            raise ValueError(f"RaySearchConfig.cpus_per_worker must be > 0, got {self.cpus_per_worker}")
        if self.max_retries < 0:
            raise ValueError(f"RaySearchConfig.max_retries must be >= 0, got {self.max_retries}")

    @classmethod
    def from_run_config(cls, cfg: RunConfig) -> "RaySearchConfig":
        return cls(address=cfg.ray_address, num_workers=cfg.concurrency)


ProposerFactory = Callable[[RunConfig, Any], Any]


def default_proposer_factory(cfg: RunConfig, library: Any):
    from ..proposers.factory import make_proposer

    # kinds=set(): the driver already ensured the seed skills before taking the snapshot, and a
    # worker never writes to the library.
    return make_proposer(cfg, library, set())


# -- worker side ---------------------------------------------------------------------------------
class _SwappableLibrary:
    """What the worker's proposer holds as its library: the current iteration's snapshot, swapped
    in place so a proposer (maybe an in-process model) is built once per actor, not per iteration."""

    def __init__(self) -> None:
        self.target: LibrarySnapshot | None = None

    def __getattr__(self, name: str) -> Any:
        if self.target is None:
            raise RuntimeError("no library snapshot has been shipped to this worker yet")
        return getattr(self.target, name)


class _StreamJournal:
    """The worker's stand-in for RunDir: starts from the attempts the driver already journalled
    for the task (non-empty on a retry), dedups by attempt id like RunDir, and hands each new
    batch to `emit`, which streams it to the driver."""

    def __init__(self, prior: list[Attempt], emit: Callable[[list[Attempt]], None]):
        self._known = {a.id: a for a in prior}
        self._emit = emit

    def attempts(self, iteration: int, task_id: str | None = None) -> list[Attempt]:
        return [a for a in self._known.values() if task_id is None or a.task_id == task_id]

    def journal(self, iteration: int, attempts: list[Attempt]) -> list[Attempt]:
        new = [a for a in attempts if a.id not in self._known]
        for a in new:
            self._known[a.id] = a
        if new:
            self._emit(new)
        return new


_DONE = object()


class SearchWorker:
    """A Ray actor (wrapped with `ray.remote` by the backend): one task at a time, with its own
    sandboxed executor pool, environments and proposer, all opened lazily and kept warm."""

    def __init__(self, cfg: RunConfig, proposer_factory: ProposerFactory):
        self.cfg = cfg
        self._factory = proposer_factory
        self._stack = contextlib.ExitStack()
        self._envs: dict[str, Any] = {}
        self._library = _SwappableLibrary()
        self._snapshot_key: Any = None
        self._proposer = None

    def info(self) -> dict:
        import socket

        return {"pid": os.getpid(), "host": socket.gethostname()}

    def _prepare(self, task: Task, snapshot_box: list, query_vectors: dict) -> None:
        import ray

        key, ref = snapshot_box  # boxed so Ray does not fetch it on every call: cached per key
        if key != self._snapshot_key:
            self._library.target = ray.get(ref)
            self._snapshot_key = key
        self._library.target.query_vectors.update(query_vectors)
        if self._proposer is None:
            self._proposer = self._factory(self.cfg, self._library)
        if task.kind not in self._envs:
            from ..assembly import open_environments

            self._envs.update(open_environments(self.cfg, {task.kind}, self._stack))

    def search(self, task: Task, iteration: int, snapshot_box: list, query_vectors: dict, prior: list[Attempt]):
        """Yields ("attempts", [Attempt, ...]) per executed batch, then ("summary", dict)."""
        from ..oracle import Oracle
        from ..task_search import search_task

        assert task.test_outputs is None, "workers only ever see public tasks"
        self._prepare(task, snapshot_box, query_vectors)
        out: queue.Queue = queue.Queue()
        ctx = RunContext(config=self.cfg, tasks={task.id: task}, oracle=Oracle({}), proposer=self._proposer,
                         environments=self._envs, library=self._library,
                         run_dir=_StreamJournal(prior, lambda batch: out.put(("attempts", batch))))  # type: ignore[arg-type]

        def run() -> None:
            try:
                out.put(("summary", search_task(ctx, task.id, iteration)))
            except BaseException as e:  # re-raised in the generator: the driver sees the real error
                out.put(("error", e))
            out.put(_DONE)

        threading.Thread(target=run, name=f"search-{task.id}", daemon=True).start()
        while (item := out.get()) is not _DONE:
            if item[0] == "error":
                raise item[1]
            yield item

    def close(self) -> None:
        self._stack.close()
        self._envs.clear()


# -- driver side ---------------------------------------------------------------------------------
class RaySearchBackend:
    """`ctx.search_backend` for `--executor ray`: call it as backend(task_id, iteration) from any
    number of graph threads; it returns `search_task`'s summary. Use as a context manager."""

    def __init__(self, ctx: RunContext, config: RaySearchConfig,
                 proposer_factory: ProposerFactory = default_proposer_factory):
        self.ctx = ctx
        self.config = config
        self.proposer_factory = proposer_factory
        self.retries = 0          # tasks re-dispatched after their actor died
        self._ray = None
        self._owns_ray = False
        self._actor_cls = None
        self._idle: queue.Queue = queue.Queue()
        self._all: list = []
        self._snap_lock = threading.Lock()
        self._snap_key: Any = None
        self._snap_ref = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> "RaySearchBackend":
        ray = self._ray = import_ray()
        if not ray.is_initialized():
            kw: dict[str, Any] = {"include_dashboard": False, "logging_level": "warning"}
            if self.config.address:
                kw["address"] = self.config.address
            else:
                kw["num_cpus"] = self.config.local_num_cpus
            try:
                ray.init(**kw)
            except ConnectionError as e:
                raise RayUnavailableError(f"cannot connect to the Ray cluster at {self.config.address!r}: {e}") from None
            self._owns_ray = True
        self._actor_cls = ray.remote(num_cpus=self.config.cpus_per_worker, max_restarts=0,
                                     scheduling_strategy="SPREAD")(SearchWorker)
        for _ in range(self.config.num_workers):
            self._idle.put(self._new_actor())
        return self

    def _new_actor(self):
        a = self._actor_cls.remote(self.ctx.config, self.proposer_factory)
        self._all.append(a)
        return a

    def close(self) -> None:
        ray = self._ray
        if ray is None:
            return
        for a in self._all:
            with contextlib.suppress(Exception):
                ray.get(a.close.remote(), timeout=30)
            with contextlib.suppress(Exception):
                ray.kill(a, no_restart=True)
        self._all.clear()
        if self._owns_ray:
            ray.shutdown()
        self._ray = None

    def __enter__(self) -> "RaySearchBackend":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- dispatch ----------------------------------------------------------------------------
    def _snapshot(self, iteration: int):
        """One snapshot per iteration (and per library change, should anything write mid-iteration)."""
        lib = self.ctx.library
        st = lib.stats()
        key = (iteration, lib.namespace, st["skills"], st.get("events"))
        with self._snap_lock:
            if key != self._snap_key:
                self._snap_ref = self._ray.put(LibrarySnapshot.of(lib))
                self._snap_key = key
            return [repr(key), self._snap_ref]

    def _worker_died(self) -> tuple[type[BaseException], ...]:
        ex = self._ray.exceptions
        names = ("RayActorError", "ActorDiedError", "ActorUnavailableError", "WorkerCrashedError",
                 "NodeDiedError", "ObjectLostError", "OwnerDiedError")
        return tuple(getattr(ex, n) for n in names if hasattr(ex, n))

    def __call__(self, task_id: str, iteration: int) -> dict:
        if self._ray is None:
            raise RuntimeError("RaySearchBackend is not started: use it as a context manager")
        ray = self._ray
        ctx = self.ctx
        task = ctx.tasks[task_id]
        # search_task's sampling query, embedded here so workers need no model to retrieve for it
        qtext = ctx.env(task).describe(task)
        qvec = {qtext: ctx.library.embedder.embed([qtext])[0]} if hasattr(ctx.library, "embedder") else {}
        snap = self._snapshot(iteration)
        died = self._worker_died()
        actor = self._idle.get()
        try:
            for tries in range(self.config.max_retries + 1):
                prior = ctx.run_dir.attempts(iteration, task_id)
                try:
                    gen = actor.search.options(num_returns="streaming").remote(task, iteration, snap, qvec, prior)
                    for ref in gen:
                        kind, payload = ray.get(ref)
                        if kind == "attempts":
                            ctx.run_dir.journal(iteration, payload)
                        else:
                            return payload
                    raise RuntimeError(f"search worker ended task {task_id} without a summary")
                except died as e:
                    self.retries += 1
                    ctx.log(f"search worker died on task {task_id} (try {tries + 1}): {type(e).__name__}; retrying")
                    with contextlib.suppress(Exception):
                        ray.kill(actor, no_restart=True)
                    actor = self._new_actor()
                    if tries == self.config.max_retries:
                        raise RuntimeError(
                            f"task {task_id}: search worker died {tries + 1} times; giving up") from e
            raise AssertionError("unreachable")
        finally:
            self._idle.put(actor)
