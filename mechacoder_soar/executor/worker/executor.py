"""The executor: sets its limits and seccomp filter, then evaluates many programs in-process, each
with fresh module globals and a fresh copy of the builtins dict, retiring itself when a program
was risky or left a trace (see the package docstring for why in-process)."""
from __future__ import annotations

import builtins
import json
import os
import resource
import signal
import struct
import sys
import time

from .frames import encode_frame, read_frame, write_all
from .guard import Guard
from .outputs import normalize_arc, normalize_json
from .screen import screen
from .seccomp import install_seccomp

SHM = struct.Struct("=qqqd")  # seq, idx, running, start (monotonic): what the zygote's watchdog reads
CODE_CACHE_MAX = 1024


class ProgramTimeout(BaseException):
    """Raised by SIGALRM inside the program. BaseException so `except Exception` in the program
    does not swallow it (a bare `except:` can; the zygote's SIGKILL watchdog covers that)."""


class _NullWriter:
    def write(self, s):
        return len(s)

    def flush(self):
        pass

    def isatty(self):
        return False


def _forbidden(e: BaseException) -> bool:
    import errno

    return isinstance(e, OSError) and e.errno in (errno.EPERM, errno.EACCES, errno.EROFS)


def _describe(e: BaseException) -> str:
    s = f"{type(e).__name__}: {e}"
    return s if len(s) <= 500 else s[:497] + "..."


def _on_alarm(signum, frame):
    raise ProgramTimeout()


def set_limits(cfg: dict) -> None:
    """rlimits, set before seccomp (which then forbids raising them). Address space is counted
    from what the process already maps, so `memory_mb` is what a program may add."""
    statm = open("/proc/self/statm").read().split()
    base_vsz = int(statm[0]) * os.sysconf("SC_PAGE_SIZE")
    mem = base_vsz + int(cfg["memory_mb"]) * 1024 * 1024
    cpu = int(cfg["recycle_cpu_s"] + float(cfg["timeout_s"]) + 2)
    for lim, val in (
        (resource.RLIMIT_AS, mem),
        (resource.RLIMIT_CPU, cpu),
        (resource.RLIMIT_FSIZE, int(cfg["fsize_mb"]) * 1024 * 1024),
        (resource.RLIMIT_NOFILE, 64),
        (resource.RLIMIT_NPROC, int(cfg["nproc"])),
        (resource.RLIMIT_CORE, 0),
    ):
        try:
            resource.setrlimit(lim, (val, val + (1 if lim == resource.RLIMIT_CPU else 0)))
        except (ValueError, OSError):
            pass


def executor_main(in_fd: int, out_fd: int, shm, cfg: dict) -> int:
    """Serve batches from `in_fd` until it closes (3: shut the zygote down too) or a program
    retires this executor (0: the zygote forks a fresh one)."""
    set_limits(cfg)
    if cfg["seccomp"]:
        install_seccomp()
    null = _NullWriter()
    sys.stdout = sys.stderr = null
    sys.stdin = None
    signal.signal(signal.SIGALRM, _on_alarm)
    runner = Runner(cfg, Guard(cfg["scratch"]), shm, out_fd)
    while True:
        msg = read_frame(in_fd)
        if msg is None:
            return 3
        if runner.batch(msg):
            return 0


class Runner:
    """One executor's evaluation state: limits, the pristine builtins, compiled programs."""

    def __init__(self, cfg: dict, guard: Guard, shm, out_fd: int):
        self.cfg = cfg
        self.timeout = float(cfg["timeout_s"])
        self.mode = cfg["validate"]
        self.flush_s = float(cfg["flush_s"])
        self.guard = guard
        self.shm = shm
        self.out_fd = out_fd
        self.pristine = dict(builtins.__dict__)
        self.np = sys.modules.get("numpy")
        self.code_cache: dict[str, tuple] = {}

    def batch(self, msg: dict) -> bool:
        """Run one batch, sending results at least every `flush_s`; True if the executor retired
        (the rest of the batch is the parent's to resend)."""
        seq, inputs = msg["seq"], msg["inputs"]
        SHM.pack_into(self.shm, 0, seq, -1, 0, 0.0)
        out: list = []
        last_flush = time.monotonic()
        for idx, (code, in_ids) in enumerate(msg["progs"]):
            res, retire = self.program(seq, idx, code, inputs, in_ids)
            out.append(res)
            if res["k"] == "syntax":  # never ran: nothing to check
                continue
            retire = self.after_program(retire)
            now = time.monotonic()
            if retire or now - last_flush >= self.flush_s:
                write_all(self.out_fd, encode_frame({"t": "res", "seq": seq, "res": out}))
                out = []
                last_flush = now
            if retire:
                write_all(self.out_fd, encode_frame({"t": "retire", "seq": seq, "next": idx + 1, "why": retire}))
                return True
        write_all(self.out_fd, encode_frame({"t": "res", "seq": seq, "res": out, "done": True}))
        return False

    def compiled(self, code: str) -> tuple:
        """(screen risk, code object or None, compile error) for `code`, cached by source."""
        entry = self.code_cache.get(code)
        if entry is None:
            risk = screen(code)
            try:
                compiled = compile(code, "<program>", "exec")
                cerr = None
            except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError) as e:
                compiled, cerr = None, _describe(e)
            entry = (risk, compiled, cerr)
            if len(self.code_cache) > CODE_CACHE_MAX:
                self.code_cache.clear()
            self.code_cache[code] = entry
        return entry

    def program(self, seq: int, idx: int, code: str, inputs: list, in_ids: list) -> tuple[dict, str | None]:
        """Run one program on its inputs under the wall-clock alarm: (result, reason to retire)."""
        risk, compiled, cerr = self.compiled(code)
        res = {"i": idx, "o": None, "e": None, "pe": None, "k": None, "s": 0.0}
        if compiled is None:
            res["pe"], res["k"] = cerr, "syntax"
            return res, None
        t0 = time.monotonic()
        SHM.pack_into(self.shm, 0, seq, idx, 1, t0)
        outputs: list = [None] * len(in_ids)
        errors: list = [None] * len(in_ids)
        retire = None
        try:
            signal.setitimer(signal.ITIMER_REAL, self.timeout)
            try:
                self.exec_program(compiled, code, risk, inputs, in_ids, outputs, errors, res)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        except ProgramTimeout:
            res["pe"], res["k"] = f"timeout: exceeded {self.timeout:g}s", "timeout"
            outputs = [None] * len(in_ids)
            retire = "timeout"
        except MemoryError:
            res["pe"], res["k"] = f"memory: exceeded {self.cfg['memory_mb']} MB", "memory"
            outputs = [None] * len(in_ids)
            retire = "memory error"
        except BaseException as e:  # error at module level of the program
            self.guard.restore_builtins()
            kind = "forbidden" if _forbidden(e) else "exception"
            res["pe"], res["k"] = ("forbidden: " if kind == "forbidden" else "") + _describe(e), kind
        SHM.pack_into(self.shm, 0, seq, idx, 0, 0.0)
        res["o"], res["e"], res["s"] = outputs, errors, time.monotonic() - t0
        if risk is not None:
            retire = retire or f"screen: {risk}"
        return res, retire

    def exec_program(self, compiled, code: str, risk: str | None, inputs: list, in_ids: list, outputs: list,
                     errors: list, res: dict) -> None:
        """Define the program in fresh globals and call its `transform` on each of its inputs,
        filling `outputs`/`errors` in place (on a timeout or memory error the caller resets them)."""
        if risk is None and "random" in code:
            import random

            random.seed(0)
            if self.np is not None:
                self.np.random.seed(0)
        g = {"__builtins__": self.pristine.copy(), "__name__": "program"}
        exec(compiled, g)
        self.guard.restore_builtins()
        fn = g.get("transform")
        if not callable(fn):
            res["pe"], res["k"] = "program defines no callable transform(grid)", "missing_transform"
            return
        for j, ii in enumerate(in_ids):
            grid = inputs[ii]
            arg = [list(r) for r in grid] if self.mode == "arc" else json.loads(json.dumps(grid))
            try:
                r = fn(arg)
                self.guard.restore_builtins()
            except (ProgramTimeout, MemoryError):
                raise
            except BaseException as e:  # SystemExit too: a program may not exit us
                self.guard.restore_builtins()
                errors[j] = ("forbidden: " if _forbidden(e) else "") + _describe(e)
                continue
            val, why = normalize_arc(r) if self.mode == "arc" else normalize_json(r)
            if why:
                errors[j] = "invalid output: " + why
            else:
                outputs[j] = val

    def after_program(self, retire: str | None) -> str | None:
        """The first reason this executor must not run another program: `retire` (from the run),
        a change the guard saw, or a spent CPU budget. The guard always checks: it also restores
        the builtins before our own code writes the results."""
        why = self.guard.check()
        if why:
            retire = retire or f"guard: {why}"
        if retire is None and resource.getrusage(resource.RUSAGE_SELF).ru_utime > self.cfg["recycle_cpu_s"]:
            retire = "cpu budget"
        return retire
