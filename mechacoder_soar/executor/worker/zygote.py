"""The zygote: imports numpy once, then forks executors. It never runs untrusted code. It relays
the executor's result frames to the parent (whole frames only, so a dying executor never leaves a
half frame on the wire), kills an executor that overruns the wall-clock limit, reports abnormal
executor deaths with the program that was running, wipes the scratch dir and forks a fresh one."""
from __future__ import annotations

import gc
import mmap
import os
import select
import shutil
import signal
import sys
import time

from .executor import SHM, executor_main
from .frames import HEADER, MAX_FRAME, encode_frame, write_all
from .guard import DictWatch, probe_dict_tags
from .seccomp import probe_seccomp

MAX_IDLE_DEATHS = 5  # executors dying before running anything: a broken setup, not a program
EXIT_STDIN_CLOSED = 3


def _wipe(path: str) -> None:
    try:
        for name in os.listdir(path):
            p = os.path.join(path, name)
            if os.path.isdir(p) and not os.path.islink(p):
                shutil.rmtree(p, ignore_errors=True)
            else:
                try:
                    os.unlink(p)
                except OSError:
                    pass
    except OSError:
        pass


def _death_reason(status: int, killed_for_timeout: bool, timeout: float) -> tuple[str, str]:
    if killed_for_timeout:
        return "timeout", f"timeout: exceeded {timeout:g}s (killed)"
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        if sig == signal.SIGXCPU:
            return "timeout", "timeout: CPU limit exceeded"
        if sig == signal.SIGKILL:
            return "crash", "crash: killed (SIGKILL, likely out of memory)"
        return "crash", f"crash: died from signal {name}"
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
    return "crash", f"crash: process exited with code {code}"


def _set_pdeathsig() -> None:
    """Die with our parent even outside bubblewrap (--die-with-parent covers the sandbox case)."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def prepare(cfg: dict) -> None:
    """Everything an executor inherits, done once: import paths, scratch dir, preloaded modules
    (with numpy's lazy submodules touched so the guard sees a settled namespace), the probes, and
    a frozen heap (fewer copy-on-write faults in the children's GC passes)."""
    for extra in cfg.get("site_dirs", []):
        sys.path.insert(0, extra)
    os.makedirs(cfg["scratch"], exist_ok=True)
    os.chdir(cfg["scratch"])
    for mod in cfg.get("preload", []):
        try:
            __import__(mod)
        except Exception:
            pass
    np = sys.modules.get("numpy")
    if np is not None:
        for sub in ("linalg", "fft", "random", "ma", "lib"):
            try:
                getattr(np, sub)
            except Exception:
                pass
    import threading  # noqa: F401  (the guard needs it; import before the fork)

    DictWatch.tags_ok = probe_dict_tags()
    _set_pdeathsig()
    if cfg["seccomp"]:
        cfg["seccomp"] = probe_seccomp()
    gc.collect()
    gc.freeze()


class Zygote:
    """The zygote's loop: one executor at a time, between the parent's stdin and stdout."""

    def __init__(self, cfg: dict):
        self.cfg = cfg
        self.timeout = float(cfg["timeout_s"])
        self.grace = float(cfg["grace_s"])
        # The protocol moves to private fds; 0 and 1 point at /dev/null for whatever inherits them.
        self.proto_in = os.dup(0)
        self.proto_out = os.dup(1)
        self.devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(self.devnull, 0)
        os.dup2(self.devnull, 1)
        self.shm = mmap.mmap(-1, SHM.size)

    def run(self) -> int:
        write_all(self.proto_out, encode_frame(
            {"t": "ready", "pid": os.getpid(), "tags": DictWatch.tags_ok, "seccomp": self.cfg["seccomp"]}))
        idle_deaths = 0
        while idle_deaths < MAX_IDLE_DEATHS:
            _wipe(self.cfg["scratch"])
            SHM.pack_into(self.shm, 0, -1, -1, 0, 0.0)
            pid, r = self.fork_executor()
            killed_for_timeout = self.relay(pid, r)
            os.close(r)
            _, status = os.waitpid(pid, 0)
            seq, idx, running, _start = SHM.unpack_from(self.shm, 0)
            if not running and os.WIFEXITED(status) and os.WEXITSTATUS(status) == EXIT_STDIN_CLOSED:
                return 0
            clean = os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
            idle_deaths = 0 if (running or clean or idx >= 0) else idle_deaths + 1
            if running or not clean:
                kind, why = _death_reason(status, killed_for_timeout, self.timeout)
                write_all(self.proto_out, encode_frame(
                    {"t": "dead", "seq": seq, "idx": idx if running else -1, "kind": kind, "why": why}))
        return 2

    def fork_executor(self) -> tuple[int, int]:
        """(pid, read end of its result pipe)."""
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            rc = 1
            try:
                os.close(r)
                os.close(self.proto_out)
                os.dup2(self.devnull, 2)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                _set_pdeathsig()
                rc = executor_main(self.proto_in, w, self.shm, self.cfg)
            except BaseException:
                rc = 1
            finally:
                os._exit(rc)
        os.close(w)
        return pid, r

    def relay(self, pid: int, r: int) -> bool:
        """Forward the executor's whole frames until its pipe closes, killing it when a program
        overruns `timeout + grace` or it sends an oversized frame; whether the watchdog killed it."""
        buf = b""
        killed_for_timeout = False
        while True:
            ready, _, _ = select.select([r], [], [], 0.05)
            if ready:
                data = os.read(r, 1 << 20)
                if not data:
                    return killed_for_timeout
                buf = self.forward_whole_frames(buf + data)
                if len(buf) > MAX_FRAME:
                    os.kill(pid, signal.SIGKILL)
            _seq, _idx, running, start = SHM.unpack_from(self.shm, 0)
            if running and time.monotonic() - start > self.timeout + self.grace and not killed_for_timeout:
                killed_for_timeout = True
                os.kill(pid, signal.SIGKILL)

    def forward_whole_frames(self, buf: bytes) -> bytes:
        """Write every complete frame at the start of `buf` to the parent; the incomplete rest."""
        cut = 0
        while len(buf) - cut >= 4:
            (n,) = HEADER.unpack_from(buf, cut)
            if len(buf) - cut - 4 < n:
                break
            cut += 4 + n
        if cut:
            write_all(self.proto_out, buf[:cut])
            buf = buf[cut:]
        return buf


def zygote_main(cfg: dict) -> int:
    """0 when the parent closed stdin, 2 when executors keep dying before running anything."""
    prepare(cfg)
    return Zygote(cfg).run()
