"""The executor pool: persistent sandboxed workers evaluating batches of (program, inputs).

Parent side of the protocol in the `worker` package. Each worker is one sandbox (bubblewrap) whose
zygote forks executors; this module splits a batch into chunks, feeds them to idle workers, and
turns every way a worker can fail into a per-program error while the batch carries on:

* a `dead` notice from the zygote (executor crashed / was killed by the watchdog) names the
  program that was running: it gets the error, the rest of the chunk is resent;
* a `retire` notice (executor retired itself after a risky program) just resends the rest;
* silence past the hard deadline, EOF or garbage from a worker: the whole sandbox is killed and
  restarted, the first unfinished program is blamed, the rest is resent.
"""
from __future__ import annotations

import json
import logging
import os
import queue
import select
import signal
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Sequence

from .worker import frames
from .worker.outputs import check_arc_grid
from .config import ExecConfig
from .result import ProgramResult
from .sandbox import Launcher, SandboxUnavailable

log = logging.getLogger(__name__)

Job = tuple[str, Sequence[Any]]


class WorkerError(RuntimeError):
    pass


def _batch_message(jobs: list, pending: list[int]) -> tuple[list, list]:
    """(inputs, [[code, input ids]] per program) for one batch: an input grid shared by several
    programs (the same object) is sent once."""
    inputs: list = []
    index: dict[int, int] = {}
    progs = []
    for k in pending:
        ids = []
        for grid in jobs[k][1]:
            j = index.get(id(grid))
            if j is None:
                j = index[id(grid)] = len(inputs)
                inputs.append(grid)
            ids.append(j)
        progs.append([jobs[k][0], ids])
    return inputs, progs


class _Worker:
    """One sandbox process. Used by one thread at a time (the pool's idle queue guarantees it)."""

    def __init__(self, launcher: Launcher, cfg: ExecConfig, wid: int):
        self.launcher = launcher
        self.cfg = cfg
        self.wid = wid
        self.proc: subprocess.Popen | None = None
        self.buf = b""
        self.seccomp = False
        self.stderr = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        spec = self.launcher.spec()
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            spec.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            env=spec.env,
            cwd=spec.cwd,
            start_new_session=True,
            close_fds=True,
        )
        self.buf = b""
        msg = self._read(time.monotonic() + self.cfg.startup_timeout_s)
        if not isinstance(msg, dict) or msg.get("t") != "ready":
            err = self._stderr_tail()
            self.kill()
            raise WorkerError(f"sandbox worker failed to start ({msg!r}): {err}")
        self.seccomp = bool(msg.get("seccomp"))

    def _stderr_tail(self) -> str:
        try:
            self.stderr.seek(0)
            return self.stderr.read()[-2000:].decode(errors="replace").strip()
        except Exception:
            return ""

    def kill(self) -> None:
        p = self.proc
        self.proc = None
        if p is None:
            return
        try:
            os.killpg(p.pid, signal.SIGKILL)  # bwrap (or the fallback zygote) and its group
        except (ProcessLookupError, PermissionError):
            pass
        try:
            p.kill()
        except ProcessLookupError:
            pass
        for f in (p.stdin, p.stdout):
            try:
                f.close()
            except Exception:
                pass
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        if self.stderr is not None:
            self.stderr.close()
            self.stderr = None

    def restart(self) -> None:
        self.kill()
        self.start()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # ------------------------------------------------------------------ io
    def send(self, obj) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        frames.write_all(self.proc.stdin.fileno(), frames.encode_frame(obj))

    def _read(self, deadline: float):
        """Next frame, or None on EOF / deadline. Raises WorkerError on a malformed frame."""
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while True:
            if len(self.buf) >= 4:
                (n,) = frames.HEADER.unpack_from(self.buf, 0)
                if n > frames.MAX_FRAME:
                    raise WorkerError(f"worker sent an oversized frame ({n} bytes)")
                if len(self.buf) >= 4 + n:
                    body = self.buf[4 : 4 + n]
                    self.buf = self.buf[4 + n :]
                    try:
                        return json.loads(body)
                    except ValueError as e:
                        raise WorkerError(f"worker sent a malformed frame: {e}") from None
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                return None
            data = os.read(fd, 1 << 20)
            if not data:
                return None
            self.buf += data


class Executor:
    """Thread-safe pool of sandboxed workers. Starts lazily on first use; use as a context manager
    (or call close()) so the sandboxes are torn down."""

    def __init__(self, cfg: ExecConfig | None = None):
        self.cfg = cfg or ExecConfig()
        self._lock = threading.Lock()
        self._launcher: Launcher | None = None
        self._workers: list[_Worker] = []
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._threads: ThreadPoolExecutor | None = None
        self._seq = 0
        self._seq_lock = threading.Lock()
        self._closed = False

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("Executor is closed")
            if self._launcher is not None:
                return
            launcher = Launcher(self.cfg)
            workers = [_Worker(launcher, self.cfg, i) for i in range(self.cfg.workers)]
            # Workers are started (and restarted) only from these long-lived threads: bwrap's
            # --die-with-parent and the fallback's PR_SET_PDEATHSIG fire when the *thread* that
            # spawned the process exits, so a short-lived starter thread would kill its sandbox.
            threads = ThreadPoolExecutor(len(workers), thread_name_prefix="soar-exec")
            try:
                list(threads.map(lambda w: w.start(), workers))
            except BaseException:
                for w in workers:
                    w.kill()
                threads.shutdown(wait=False)
                launcher.close()
                raise
            if self.cfg.seccomp and not all(w.seccomp for w in workers):
                log.warning("seccomp filter could not be installed in the sandbox workers; relying on "
                            "%s and rlimits alone", launcher.isolation)
            self._launcher = launcher
            self._workers = workers
            for w in workers:
                self._idle.put(w)
            self._threads = threads

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._threads is not None:
                self._threads.shutdown(wait=True)
                self._threads = None
            for w in self._workers:
                w.kill()
            self._workers = []
            if self._launcher is not None:
                self._launcher.close()
                self._launcher = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    @property
    def isolation(self) -> str:
        """'bubblewrap' or 'rlimits-only' (starts the pool if needed)."""
        self.start()
        assert self._launcher is not None
        return self._launcher.isolation

    @property
    def seccomp(self) -> bool:
        self.start()
        return all(w.seccomp for w in self._workers)

    # ------------------------------------------------------------------ running
    def run_batch(self, jobs: Sequence[Job]) -> list[ProgramResult]:
        """Run each (code, inputs) job; one ProgramResult per job, in order. Never raises for a
        misbehaving program; raises only if the sandbox cannot be started at all."""
        jobs = [(c, list(i)) for c, i in jobs]
        for k, (code, _) in enumerate(jobs):
            if not isinstance(code, str):
                raise TypeError(f"job {k}: program code must be str, got {type(code).__name__}")
        if not jobs:
            return []
        self.start()
        results: list[ProgramResult | None] = [None] * len(jobs)
        size = self.cfg.chunk_size or max(1, min(256, -(-len(jobs) // (self.cfg.workers * 4))))
        chunks: queue.SimpleQueue[list[int]] = queue.SimpleQueue()
        n_chunks = 0
        for s in range(0, len(jobs), size):
            chunks.put(list(range(s, min(len(jobs), s + size))))
            n_chunks += 1

        def drain() -> None:
            w = self._idle.get()
            try:
                while True:
                    try:
                        chunk = chunks.get_nowait()
                    except queue.Empty:
                        return
                    self._run_chunk(w, jobs, chunk, results)
            finally:
                self._idle.put(w)

        assert self._threads is not None
        futs = [self._threads.submit(drain) for _ in range(min(self.cfg.workers, n_chunks))]
        for f in futs:
            f.result()
        return [r if r is not None else ProgramResult.failed(len(jobs[k][1]), "worker", "no result")
                for k, r in enumerate(results)]

    def _next_seq(self) -> int:
        with self._seq_lock:
            self._seq += 1
            return self._seq

    def _run_chunk(self, w: _Worker, jobs: list, chunk: list[int], results: list) -> None:
        """Run `chunk` (indices into `jobs`) on `w` until every one has a result, restarting the
        sandbox and resending the rest as it fails; give up after repeated fruitless tries."""
        pending = list(chunk)
        fruitless = 0
        while pending:
            if not w.alive:
                try:
                    w.restart()
                except (WorkerError, SandboxUnavailable, OSError) as e:
                    for k in pending:
                        results[k] = ProgramResult.failed(len(jobs[k][1]), "worker", f"worker: {e}")
                    return
            seq = self._next_seq()
            inputs, progs = _batch_message(jobs, pending)
            local = list(pending)
            try:
                w.send({"seq": seq, "inputs": inputs, "progs": progs})
            except (OSError, ValueError, TypeError) as e:
                if isinstance(e, (ValueError, TypeError)):  # inputs not JSON-serialisable: caller's bug
                    raise ValueError(f"program inputs must be JSON-serialisable: {e}") from None
                w.kill()
                fruitless += 1
                if fruitless > 3:
                    self._fail_rest(jobs, local, results, "worker", f"worker: cannot send to sandbox: {e}")
                    return
                continue
            pending, progressed = self._collect(w, seq, jobs, local, results)
            fruitless = 0 if progressed else fruitless + 1
            if fruitless > 3:
                self._fail_rest(jobs, pending, results, "worker", "worker: sandbox keeps failing without running programs")
                return

    def _collect(self, w: _Worker, seq: int, jobs: list, local: list[int], results: list) -> tuple[list[int], bool]:
        """Read the worker's notices about batch `seq` (programs `local`) until it is done,
        retired or broken: (programs still to run, whether any program got a result)."""
        # the zygote kills a program at timeout+grace; this deadline only trips if the
        # sandbox itself stopped responding
        hard = self.cfg.timeout_s + 2 * self.cfg.grace_s + 5.0
        progressed = False
        while True:
            try:
                msg = w._read(time.monotonic() + hard)
            except WorkerError as e:
                msg = {"t": "broken", "why": str(e)}
            if msg is None or msg.get("t") == "broken":
                why = "timeout" if msg is None and w.alive else "crash"
                text = (msg or {}).get("why") or (
                    f"timeout: sandbox unresponsive for {hard:g}s" if why == "timeout" else "crash: sandbox worker died"
                )
                w.kill()
                rest = [k for k in local if results[k] is None]
                if rest:
                    results[rest[0]] = ProgramResult.failed(len(jobs[rest[0]][1]), why, text)
                    progressed = True
                return rest[1:], progressed
            t = msg.get("t")
            if msg.get("seq") != seq:
                continue  # stale notice about an earlier chunk, or 'ready' after a restart
            if t == "res":
                for r in msg.get("res", []):
                    self._store(jobs, local, results, r)
                    progressed = True
                if not msg.get("done"):
                    continue
            elif t == "dead":
                idx = msg.get("idx", -1)
                if isinstance(idx, int) and 0 <= idx < len(local) and results[local[idx]] is None:
                    k = local[idx]
                    results[k] = ProgramResult.failed(
                        len(jobs[k][1]), str(msg.get("kind") or "crash"), str(msg.get("why") or "crash")
                    )
                    progressed = True
            elif t != "retire":
                continue
            return [k for k in local if results[k] is None], progressed

    @staticmethod
    def _fail_rest(jobs, ks, results, kind, why) -> None:
        for k in ks:
            if results[k] is None:
                results[k] = ProgramResult.failed(len(jobs[k][1]), kind, why)

    def _store(self, jobs, local, results, r) -> None:
        try:
            k = local[int(r["i"])]
        except (KeyError, IndexError, TypeError, ValueError):
            return
        n = len(jobs[k][1])
        outs = r.get("o") or [None] * n
        errs = r.get("e") or [None] * n
        if len(outs) != n or len(errs) != n:
            results[k] = ProgramResult.failed(n, "worker", "worker: result arity mismatch")
            return
        outs, errs = list(outs), [None if e is None else str(e) for e in errs]
        if self.cfg.validate == "arc":
            # never trust the sandbox: re-check shape and values
            for j, o in enumerate(outs):
                if o is not None:
                    why = check_arc_grid(o)
                    if why:
                        outs[j], errs[j] = None, "invalid output: " + why
        results[k] = ProgramResult(
            outputs=outs,
            errors=errs,
            error=r.get("pe"),
            error_kind=r.get("k"),
            runtime_s=float(r.get("s") or 0.0),
        )
