"""The process that runs untrusted programs. STANDALONE: stdlib only (numpy is optional), because
it is copied into the sandbox and run by path (`python -I -S worker.py CONFIG_JSON`) where the
project source tree is deliberately not visible. The parent also imports it for the shared
output-validation helpers and the frame format, so there is a single source of truth.

Process layout inside one sandbox (one bubblewrap instance per pool worker):

    parent  --stdin frames-->  executor (forked)  --pipe-->  zygote  --stdout frames-->  parent

* The **zygote** imports numpy once, then forks **executors**. It never runs untrusted code. It
  relays the executor's result frames to the parent (whole frames only, so a dying executor can
  never leave a half frame on the wire), enforces the per-program wall-clock limit as a watchdog
  (SIGKILL), reports abnormal executor deaths with the program that was running, wipes the scratch
  dir and forks a fresh executor.
* An **executor** installs its rlimits and a seccomp filter (no fork/exec/sockets/ptrace/killing
  other processes) and then evaluates many programs *in-process*, each with fresh module globals
  and a fresh copy of the builtins dict.

Why in-process rather than fork-per-program: measured on this machine, fork+exit of a process
with numpy loaded costs ~3.7 ms (265 programs/s) while compile+exec of a typical ARC program costs
~0.16 ms (6.3k programs/s). Fork-per-program would make the pool ~20x slower than the ceiling.
So state isolation between programs is done in three layers instead:
  1. fresh globals + fresh builtins dict per program (plain monkeypatching of `builtins.x` via the
     program's own namespace cannot leak), RNG reseeded when the program mentions random;
  2. a static screen: a program that imports anything outside a small set of pure modules, or
     touches reflection/frames/dunders/file I/O, still runs, but its executor is retired right
     after it (the next program gets a freshly forked executor: ~4 ms);
  3. a runtime guard after every program: the dicts of builtins, sys, sys.modules and every
     imported "safe" module are checked for changes (via CPython's dict version tag, ~0.1 us per
     dict; falling back to an identity snapshot elsewhere), plus recursion limit, trace hooks,
     threads, cwd, numpy error state and the scratch dir; any change retires the executor.
A deliberately hostile program that both evades the screen and the guard can at worst affect later
programs in the same executor; it can never leave the sandbox (bubblewrap + seccomp + rlimits are
the security boundary, the layers above are about correctness).
"""
from __future__ import annotations

import json
import os
import re
import struct
import sys
import time

# ----------------------------------------------------------------------------------------------
# frames: 4-byte big-endian length + UTF-8 JSON. JSON (not pickle) because the parent must never
# unpickle bytes produced by untrusted code.
# ----------------------------------------------------------------------------------------------
HEADER = struct.Struct(">I")
MAX_FRAME = 256 * 1024 * 1024


def encode_frame(obj) -> bytes:
    data = json.dumps(obj, separators=(",", ":")).encode()
    return HEADER.pack(len(data)) + data


def read_exact(fd: int, n: int) -> bytes | None:
    chunks = []
    while n:
        b = os.read(fd, min(n, 1 << 20))
        if not b:
            return None
        chunks.append(b)
        n -= len(b)
    return b"".join(chunks)


def read_frame(fd: int):
    h = read_exact(fd, 4)
    if h is None:
        return None
    (n,) = HEADER.unpack(h)
    if n > MAX_FRAME:
        raise ValueError(f"frame of {n} bytes exceeds limit")
    body = read_exact(fd, n)
    if body is None:
        return None
    return json.loads(body)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


# ----------------------------------------------------------------------------------------------
# output validation (shared with the parent, which re-validates: it never trusts the sandbox)
# ----------------------------------------------------------------------------------------------
MAX_SIDE = 30


def check_arc_grid(obj) -> str | None:
    """None if `obj` is a rectangular list of lists of ints 0-9 within 30x30, else the reason."""
    if type(obj) is not list or not obj:
        return "output is not a non-empty list of rows"
    if len(obj) > MAX_SIDE:
        return f"output has {len(obj)} rows (max {MAX_SIDE})"
    width = None
    for row in obj:
        if type(row) is not list or not row:
            return "output row is not a non-empty list"
        if width is None:
            width = len(row)
            if width > MAX_SIDE:
                return f"output has {width} columns (max {MAX_SIDE})"
        elif len(row) != width:
            return "output is not rectangular"
        for v in row:
            if type(v) is not int or v < 0 or v > 9:
                return f"output cell {v!r} is not an int 0-9"
    return None


def normalize_arc(obj):
    """Best-effort conversion of what a program returned into a grid (numpy arrays, tuples, numpy
    ints), then validation. Returns (grid, None) or (None, reason)."""
    if obj is None:
        return None, "output is None (transform returned nothing)"
    list_reason = None
    if type(obj) is list:
        list_reason = check_arc_grid(obj)
        if list_reason is None:
            return obj, None
    np = sys.modules.get("numpy")
    if np is not None:
        try:
            arr = np.asarray(obj)
        except Exception as e:  # ragged etc.
            return None, list_reason or f"output is not a grid ({type(e).__name__})"
        if arr.ndim != 2:
            return None, list_reason or f"output has {arr.ndim} dimensions, expected 2"
        if arr.dtype.kind not in "iu":
            if arr.dtype.kind == "f" and arr.size and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
                arr = arr.astype(np.int64)
            elif arr.dtype.kind == "b":
                return None, "output dtype bool is not integer"
            else:
                return None, list_reason or f"output dtype {arr.dtype} is not integer"
        obj = arr.tolist()
    elif isinstance(obj, tuple):
        obj = [list(r) if isinstance(r, (list, tuple)) else r for r in obj]
    reason = check_arc_grid(obj)
    return (obj, None) if reason is None else (None, reason)


def normalize_json(obj, _depth=0):
    """Any JSON-able value; numpy arrays/scalars are converted. Returns (value, None) or (None, why)."""
    np = sys.modules.get("numpy")
    if np is not None:
        if isinstance(obj, np.ndarray):
            obj = obj.tolist()
        elif isinstance(obj, np.generic):
            obj = obj.item()
    try:
        # round-trip so what we return is exactly what the parent will see
        return json.loads(json.dumps(obj, default=_np_default, allow_nan=False)), None
    except (TypeError, ValueError, RecursionError) as e:
        return None, f"output is not JSON-serialisable: {e}"[:300]


def _np_default(o):
    np = sys.modules.get("numpy")
    if np is not None:
        if isinstance(o, np.ndarray):
            return o.tolist()
        if isinstance(o, np.generic):
            return o.item()
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    raise TypeError(f"{type(o).__name__} is not JSON-serialisable")


# ----------------------------------------------------------------------------------------------
# static screen: which programs get a fresh executor after them
# ----------------------------------------------------------------------------------------------
SAFE_MODULES = frozenset(
    """__future__ numpy collections itertools math functools copy operator typing heapq bisect
    statistics string re random dataclasses enum fractions decimal array numbers cmath
    textwrap abc queue json scipy""".split()
)
SAFE_DUNDERS = frozenset(
    """__init__ __name__ __main__ __repr__ __str__ __eq__ __ne__ __lt__ __le__ __gt__ __ge__
    __hash__ __len__ __iter__ __next__ __getitem__ __setitem__ __contains__ __call__ __add__
    __sub__ __mul__ __post_init__ __slots__ __bool__ __enter__ __exit__ __future__ __and__
    __or__ __xor__ __neg__ __abs__ __radd__ __rmul__ __truediv__ __floordiv__ __mod__
    __annotations__ __doc__""".split()
)
_IMPORT_RE = re.compile(r"^[ \t]*(?:from[ \t]+([.\w]+)[ \t]+import[ \t]+([^\n#;]+)|import[ \t]+([^\n#;]+))", re.M)
_DUNDER_RE = re.compile(r"__\w+?__")
_DANGER_RE = re.compile(
    r"\b(?:setattr|delattr|getattr|globals|vars|exec|eval|compile|breakpoint|open|input|memoryview"
    r"|f_globals|f_locals|f_back|f_builtins|f_code|gi_frame|cr_frame|ag_frame|tb_frame|tb_next"
    r"|gi_code|co_code)\b"
    # numpy file I/O and escape hatches reachable without an import statement
    r"|\.(?:save\w*|load\w*|fromfile|tofile|genfromtxt|memmap|DataSource|fromregex|ctypeslib|lib"
    r"|testing|f2py|distutils|os|sys|ctypes)\b"
)


def screen(code: str) -> str | None:
    """None if the program only uses pure, stateless-looking constructs; else why it is risky.
    Risky programs still run; their executor is retired right after them."""
    aliases = []
    for m in _IMPORT_RE.finditer(code):
        if m.group(1) is not None:
            mod = m.group(1)
            if mod.startswith("."):
                return f"relative import {mod}"
            if mod.split(".")[0] not in SAFE_MODULES:
                return f"imports {mod}"
            for part in m.group(2).replace("(", " ").replace(")", " ").split(","):
                toks = part.split()
                if toks:
                    aliases.append(toks[-1])
        else:
            for part in m.group(3).split(","):
                toks = part.split()
                if not toks:
                    continue
                if toks[0].split(".")[0] not in SAFE_MODULES:
                    return f"imports {toks[0]}"
                aliases.append(toks[-1].split(".")[0])
    for d in _DUNDER_RE.findall(code):
        if d not in SAFE_DUNDERS:
            return f"uses {d}"
    m = _DANGER_RE.search(code)
    if m:
        return f"uses {m.group(0)}"
    if aliases:
        alt = "|".join(re.escape(a) for a in set(aliases) if a.isidentifier())
        if alt and re.search(
            rf"(?:\b(?:{alt})\s*(?:\.\s*\w+\s*)+(?:[-+*/%&|^@]|//|\*\*|<<|>>)?=(?!=)|\bdel\s+(?:{alt})\s*\.)", code
        ):
            return "assigns to an attribute of an imported module or class"
    return None


# ----------------------------------------------------------------------------------------------
# seccomp (x86_64, raw BPF via ctypes: no extra dependency)
# ----------------------------------------------------------------------------------------------
_AUDIT_ARCH_X86_64 = 0xC000003E
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_EPERM, _ENOSYS = 1, 38
_CLONE_THREAD = 0x00010000
# syscalls that a grid transform never needs and that an attacker would: new processes, exec,
# sockets, tracing, namespaces/mounts, raising limits, kernel attack surface.
_DENY_X86_64 = {
    41: "socket", 42: "connect", 43: "accept", 49: "bind", 50: "listen", 53: "socketpair",
    288: "accept4", 57: "fork", 58: "vfork", 59: "execve", 322: "execveat", 101: "ptrace",
    310: "process_vm_readv", 311: "process_vm_writev", 165: "mount", 166: "umount2",
    155: "pivot_root", 161: "chroot", 272: "unshare", 308: "setns", 160: "setrlimit",
    302: "prlimit64", 321: "bpf", 298: "perf_event_open", 323: "userfaultfd", 250: "keyctl",
    248: "add_key", 249: "request_key", 425: "io_uring_setup", 200: "tkill", 169: "reboot",
    246: "kexec_load", 175: "init_module", 313: "finit_module", 139: "sysfs", 103: "syslog",
}
_NR_CLONE, _NR_CLONE3, _NR_KILL, _NR_TGKILL = 56, 435, 62, 234


def install_seccomp() -> str:
    """Install the filter in this process (inherited by nothing: it cannot fork). Returns a short
    status string; raises on failure so the caller decides whether that is fatal."""
    import ctypes
    import platform

    if platform.machine() not in ("x86_64", "AMD64"):
        raise OSError(f"seccomp filter only written for x86_64, not {platform.machine()}")
    pid = os.getpid()

    def stmt(code, k):
        return struct.pack("=HBBI", code, 0, 0, k & 0xFFFFFFFF)

    def jump(code, k, jt, jf):
        return struct.pack("=HBBI", code, jt, jf, k & 0xFFFFFFFF)

    LD, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06
    deny = _RET_ERRNO | _EPERM
    prog = [
        stmt(LD, 4), jump(JEQ, _AUDIT_ARCH_X86_64, 1, 0), stmt(RET, deny),
        stmt(LD, 0), jump(JGE, 0x40000000, 0, 1), stmt(RET, deny),  # x32 ABI
    ]
    for nr in sorted(_DENY_X86_64):
        prog += [jump(JEQ, nr, 0, 1), stmt(RET, deny)]
    prog += [jump(JEQ, _NR_CLONE3, 0, 1), stmt(RET, _RET_ERRNO | _ENOSYS)]  # glibc falls back to clone
    # clone: threads only (CLONE_THREAD in the low word of arg0)
    prog += [jump(JEQ, _NR_CLONE, 0, 4), stmt(LD, 16), jump(JSET, _CLONE_THREAD, 0, 1), stmt(RET, _RET_ALLOW), stmt(RET, deny)]
    # kill / tgkill: only ourselves (arg0 == our pid, high word 0): never the zygote, a process
    # group (0, negative) or everyone (-1). Only paths that return clobber A.
    for nr in (_NR_KILL, _NR_TGKILL):
        prog += [
            jump(JEQ, nr, 0, 6), stmt(LD, 16), jump(JEQ, pid, 0, 3), stmt(LD, 20), jump(JEQ, 0, 0, 1),
            stmt(RET, _RET_ALLOW), stmt(RET, deny),
        ]
    prog += [stmt(RET, _RET_ALLOW)]
    buf = b"".join(prog)
    n = len(prog)
    libc = ctypes.CDLL(None, use_errno=True)
    filt = ctypes.create_string_buffer(buf, len(buf))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = SockFprog(n, ctypes.cast(filt, ctypes.c_void_p))
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS failed")
    if libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
        raise OSError(ctypes.get_errno(), "PR_SET_SECCOMP failed")
    return "seccomp"


# ----------------------------------------------------------------------------------------------
# runtime guard
# ----------------------------------------------------------------------------------------------
class _DictWatch:
    """Change detector for one dict. Fast path: CPython 3.11/3.12 keep a per-dict version tag
    (PEP 509) that changes on every mutation; we read it through ctypes. Slow path (tag moved, or
    tags unavailable): identity snapshot of the items. New keys whose value is a module are
    accepted (lazy submodule imports); any rebinding or deletion of an existing key is a change."""

    __slots__ = ("d", "tag", "last", "snap", "label")
    tags_ok = False

    def __init__(self, d: dict, label: str):
        self.d = d
        self.label = label
        self.tag = None
        if _DictWatch.tags_ok:
            import ctypes

            self.tag = ctypes.c_uint64.from_address(id(d) + 24)
            self.last = self.tag.value
        self.snap = {k: id(v) for k, v in list(d.items())}

    def changed(self) -> str | None:
        if self.tag is not None and self.tag.value == self.last:
            return None
        import types

        d = self.d
        for k, i in self.snap.items():
            v = d.get(k, _MISSING)
            if v is _MISSING:
                return f"{self.label}: {k!s} deleted"
            if id(v) != i:
                return f"{self.label}: {k!s} rebound"
        if len(d) != len(self.snap):
            for k, v in list(d.items()):
                if k not in self.snap:
                    if not isinstance(v, types.ModuleType):
                        return f"{self.label}: {k!s} added"
                    self.snap[k] = id(v)
        if self.tag is not None:
            self.last = self.tag.value
        return None


_MISSING = object()


def _probe_dict_tags() -> bool:
    if sys.implementation.name != "cpython" or sys.version_info[:2] not in ((3, 11), (3, 12)):
        return False
    try:
        import ctypes

        d: dict = {}
        tag = ctypes.c_uint64.from_address(id(d) + 24)
        used = ctypes.c_ssize_t.from_address(id(d) + 16)
        t0 = tag.value
        d["a"] = 1
        t1 = tag.value
        d["a"] = 2
        t2 = tag.value
        return used.value == 1 and t0 != t1 and t1 != t2
    except Exception:
        return False


class Guard:
    def __init__(self, scratch: str):
        import builtins
        import gc
        import threading

        self.scratch = scratch
        self.gc, self.threading = gc, threading
        self.watches: dict[str, _DictWatch] = {}
        self._watch(builtins.__dict__, "builtins")
        self.builtins_pristine = dict(builtins.__dict__)
        self.builtins_dirty = False
        self._watch(sys.__dict__, "sys")
        self._watch(sys.modules, "sys.modules")
        self._watch(os.__dict__, "os")
        self.refresh_modules()
        self.recursion = sys.getrecursionlimit()
        self.path = list(sys.path)
        self.meta_path = list(sys.meta_path)
        self.np_err = self._np_err()
        self.threads = threading.active_count()

    def restore_builtins(self) -> None:
        """Undo changes to the real builtins module before *our* code runs again (validation
        uses len/isinstance/...). The executor is retired anyway if anything had changed."""
        w = self.watches["builtins"]
        if w.tag is not None and w.tag.value == w.last:
            return
        d = w.d
        if any(d.get(k, _MISSING) is not v for k, v in self.builtins_pristine.items()) or len(d) != len(self.builtins_pristine):
            self.builtins_dirty = True
            d.clear()
            d.update(self.builtins_pristine)
        if w.tag is not None:
            w.last = w.tag.value

    def _watch(self, d, label):
        if label not in self.watches:
            self.watches[label] = _DictWatch(d, label)

    def refresh_modules(self):
        """Watch every imported safe top-level module and numpy's direct submodules."""
        self._nmods = len(sys.modules)
        for name in list(sys.modules):
            top, _, rest = name.partition(".")
            if top in SAFE_MODULES and (not rest or (top == "numpy" and "." not in rest)):
                mod = sys.modules.get(name)
                if mod is not None and isinstance(getattr(mod, "__dict__", None), dict):
                    self._watch(mod.__dict__, name)

    @staticmethod
    def _np_err():
        np = sys.modules.get("numpy")
        return np.geterr() if np is not None else None

    def check(self) -> str | None:
        self.restore_builtins()
        if self.builtins_dirty:
            return "builtins module modified"
        for w in list(self.watches.values()):
            why = w.changed()
            if why:
                return why
        if len(sys.modules) != self._nmods:
            self.refresh_modules()
        if sys.getrecursionlimit() != self.recursion:
            return "recursion limit changed"
        if sys.gettrace() is not None or sys.getprofile() is not None:
            return "trace/profile hook installed"
        if self.threading.active_count() != self.threads:
            return "program left threads running"
        if not self.gc.isenabled():
            return "gc disabled"
        if sys.path != self.path or sys.meta_path != self.meta_path:
            return "import path changed"
        if self.np_err is not None and self._np_err() != self.np_err:
            return "numpy error state changed"
        try:
            if os.getcwd() != self.scratch or os.listdir(self.scratch):
                return "scratch dir changed"
        except OSError:
            return "scratch dir unreadable"
        return None


# ----------------------------------------------------------------------------------------------
# executor
# ----------------------------------------------------------------------------------------------
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


SHM = struct.Struct("=qqqd")  # seq, idx, running, start (monotonic)


def _forbidden(e: BaseException) -> bool:
    import errno

    return isinstance(e, OSError) and e.errno in (errno.EPERM, errno.EACCES, errno.EROFS)


def _describe(e: BaseException) -> str:
    s = f"{type(e).__name__}: {e}"
    return s if len(s) <= 500 else s[:497] + "..."


def executor_main(in_fd: int, out_fd: int, shm, cfg: dict) -> int:
    import builtins
    import resource
    import signal

    timeout = float(cfg["timeout_s"])
    mode = cfg["validate"]
    scratch = cfg["scratch"]

    # limits first, while we still may set them (seccomp then forbids raising them)
    statm = open("/proc/self/statm").read().split()
    base_vsz = int(statm[0]) * os.sysconf("SC_PAGE_SIZE")
    mem = base_vsz + int(cfg["memory_mb"]) * 1024 * 1024
    cpu = int(cfg["recycle_cpu_s"] + timeout + 2)
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
    if cfg["seccomp"]:
        install_seccomp()

    null = _NullWriter()
    sys.stdout = sys.stderr = null
    sys.stdin = None

    def on_alarm(signum, frame):
        raise ProgramTimeout()

    signal.signal(signal.SIGALRM, on_alarm)
    guard = Guard(scratch)
    pristine = dict(builtins.__dict__)
    np = sys.modules.get("numpy")
    code_cache: dict[str, tuple] = {}
    flush_s = float(cfg["flush_s"])

    while True:
        msg = read_frame(in_fd)
        if msg is None:
            return 3  # parent closed stdin: shut the zygote down too
        seq = msg["seq"]
        inputs = msg["inputs"]
        progs = msg["progs"]
        SHM.pack_into(shm, 0, seq, -1, 0, 0.0)
        out: list = []
        last_flush = time.monotonic()
        retire = None
        for idx, (code, in_ids) in enumerate(progs):
            entry = code_cache.get(code)
            if entry is None:
                risk = screen(code)
                try:
                    compiled = compile(code, "<program>", "exec")
                    cerr = None
                except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError) as e:
                    compiled, cerr = None, _describe(e)
                entry = (risk, compiled, cerr)
                if len(code_cache) > 1024:
                    code_cache.clear()
                code_cache[code] = entry
            risk, compiled, cerr = entry
            res = {"i": idx, "o": None, "e": None, "pe": None, "k": None, "s": 0.0}
            if compiled is None:
                res["pe"], res["k"] = cerr, "syntax"
                out.append(res)
                continue
            t0 = time.monotonic()
            SHM.pack_into(shm, 0, seq, idx, 1, t0)
            outputs = [None] * len(in_ids)
            errors = [None] * len(in_ids)
            try:
                signal.setitimer(signal.ITIMER_REAL, timeout)
                try:
                    if risk is None and "random" in code:
                        import random

                        random.seed(0)
                        if np is not None:
                            np.random.seed(0)
                    g = {"__builtins__": pristine.copy(), "__name__": "program"}
                    exec(compiled, g)
                    guard.restore_builtins()
                    fn = g.get("transform")
                    if not callable(fn):
                        res["pe"], res["k"] = "program defines no callable transform(grid)", "missing_transform"
                    else:
                        for j, ii in enumerate(in_ids):
                            grid = inputs[ii]
                            arg = [list(r) for r in grid] if mode == "arc" else json.loads(json.dumps(grid))
                            try:
                                r = fn(arg)
                                guard.restore_builtins()
                            except ProgramTimeout:
                                raise
                            except MemoryError:
                                raise
                            except BaseException as e:  # SystemExit too: a program may not exit us
                                guard.restore_builtins()
                                errors[j] = ("forbidden: " if _forbidden(e) else "") + _describe(e)
                                continue
                            val, why = normalize_arc(r) if mode == "arc" else normalize_json(r)
                            if why:
                                errors[j] = "invalid output: " + why
                            else:
                                outputs[j] = val
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
            except ProgramTimeout:
                res["pe"], res["k"] = f"timeout: exceeded {timeout:g}s", "timeout"
                outputs = [None] * len(in_ids)
                retire = retire or "timeout"
            except MemoryError:
                res["pe"], res["k"] = f"memory: exceeded {cfg['memory_mb']} MB", "memory"
                outputs = [None] * len(in_ids)
                retire = retire or "memory error"
            except BaseException as e:  # error at module level of the program
                guard.restore_builtins()
                kind = "forbidden" if _forbidden(e) else "exception"
                res["pe"], res["k"] = ("forbidden: " if kind == "forbidden" else "") + _describe(e), kind
            SHM.pack_into(shm, 0, seq, idx, 0, 0.0)
            res["o"], res["e"], res["s"] = outputs, errors, time.monotonic() - t0
            out.append(res)
            if risk is not None:
                retire = retire or f"screen: {risk}"
            why = guard.check()
            if why:
                retire = retire or f"guard: {why}"
            if retire is None and resource.getrusage(resource.RUSAGE_SELF).ru_utime > cfg["recycle_cpu_s"]:
                retire = "cpu budget"
            now = time.monotonic()
            if retire or now - last_flush >= flush_s:
                write_all(out_fd, encode_frame({"t": "res", "seq": seq, "res": out}))
                out = []
                last_flush = now
            if retire:
                write_all(out_fd, encode_frame({"t": "retire", "seq": seq, "next": idx + 1, "why": retire}))
                return 0
        write_all(out_fd, encode_frame({"t": "res", "seq": seq, "res": out, "done": True}))


# ----------------------------------------------------------------------------------------------
# zygote
# ----------------------------------------------------------------------------------------------
def _wipe(path: str) -> None:
    import shutil

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
    import signal

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
        import signal

        ctypes.CDLL(None).prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _probe_seccomp() -> bool:
    """Fork a child that installs the filter and checks that socket() is refused."""
    pid = os.fork()
    if pid == 0:
        rc = 1
        try:
            install_seccomp()
            import socket

            try:
                socket.socket()
            except PermissionError:
                rc = 0
        except BaseException:
            rc = 1
        os._exit(rc)
    _, status = os.waitpid(pid, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def zygote_main(cfg: dict) -> int:
    import mmap
    import select
    import signal

    for extra in cfg.get("site_dirs", []):
        sys.path.insert(0, extra)
    scratch = cfg["scratch"]
    os.makedirs(scratch, exist_ok=True)
    os.chdir(scratch)
    for mod in cfg.get("preload", []):
        try:
            __import__(mod)
        except Exception:
            pass
    # Pre-touch lazily loaded numpy submodules so the guard sees a settled numpy namespace.
    np = sys.modules.get("numpy")
    if np is not None:
        for sub in ("linalg", "fft", "random", "ma", "lib"):
            try:
                getattr(np, sub)
            except Exception:
                pass
    import gc
    import threading  # noqa: F401  (the guard needs it; import before the fork)

    _DictWatch.tags_ok = _probe_dict_tags()
    _set_pdeathsig()
    if cfg["seccomp"]:
        cfg["seccomp"] = _probe_seccomp()
    gc.collect()
    gc.freeze()  # keep the warm heap out of the children's GC passes (fewer copy-on-write faults)

    proto_in = os.dup(0)
    proto_out = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    timeout = float(cfg["timeout_s"])
    grace = float(cfg["grace_s"])
    shm = mmap.mmap(-1, SHM.size)
    write_all(
        proto_out,
        encode_frame({"t": "ready", "pid": os.getpid(), "tags": _DictWatch.tags_ok, "seccomp": cfg["seccomp"]}),
    )
    idle_deaths = 0  # executors dying before running anything: a broken setup, not a program

    while True:
        if idle_deaths >= 5:
            return 2
        _wipe(scratch)
        SHM.pack_into(shm, 0, -1, -1, 0, 0.0)
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            rc = 1
            try:
                os.close(r)
                os.close(proto_out)
                os.dup2(devnull, 2)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                _set_pdeathsig()
                rc = executor_main(proto_in, w, shm, cfg)
            except BaseException:
                rc = 1
            finally:
                os._exit(rc)
        os.close(w)
        buf = b""
        killed_for_timeout = False
        while True:
            ready, _, _ = select.select([r], [], [], 0.05)
            if ready:
                data = os.read(r, 1 << 20)
                if not data:
                    break
                buf += data
                # forward whole frames only
                cut = 0
                while len(buf) - cut >= 4:
                    (n,) = HEADER.unpack_from(buf, cut)
                    if len(buf) - cut - 4 < n:
                        break
                    cut += 4 + n
                if cut:
                    write_all(proto_out, buf[:cut])
                    buf = buf[cut:]
                if len(buf) > MAX_FRAME:
                    os.kill(pid, signal.SIGKILL)
            seq, idx, running, start = SHM.unpack_from(shm, 0)
            if running and time.monotonic() - start > timeout + grace and not killed_for_timeout:
                killed_for_timeout = True
                os.kill(pid, signal.SIGKILL)
        os.close(r)
        _, status = os.waitpid(pid, 0)
        seq, idx, running, start = SHM.unpack_from(shm, 0)
        if not running and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 3:
            return 0  # stdin closed
        clean = os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
        idle_deaths = 0 if (running or clean or idx >= 0) else idle_deaths + 1
        if running or not clean:
            kind, why = _death_reason(status, killed_for_timeout, timeout)
            write_all(
                proto_out,
                encode_frame({"t": "dead", "seq": seq, "idx": idx if running else -1, "kind": kind, "why": why}),
            )


if __name__ == "__main__":
    sys.exit(zygote_main(json.loads(sys.argv[1])))
