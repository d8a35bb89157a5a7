"""An isolated root for one trial, built with bubblewrap.

The sandbox root is the trial's own folder on the host (`Mounts.root`, a copy of the task's
built image paths: /app, /root, /opt, ...) or, without one, a fresh tmpfs. The host's system
directories (/usr, /etc, /var and the /bin, /lib symlinks) are either bound read-only or, where
`Mounts.overlays` names them, mounted as an overlay: the host directory at the bottom, the task's
layers (unpacked apt packages, the build's own changes) above it, and a writable upper directory
of the trial's on top, so a task may write into /usr/local/bin or /etc without touching the host.
The overlays are mounted by `unshare` in a private user and mount namespace just before bwrap
starts (bwrap before 0.10 has no overlay option); they vanish with it. /run is an empty tmpfs, so
is /tmp without a root of the task's own (with one, /tmp is the image's, as in Docker); the
host's homes and working trees are not there; the python whose pytest grades the task is bound
read-only at its own path. Everything writable lives in a temporary folder on the host
that the caller removes afterwards.

Every namespace is unshared (no network but loopback), capabilities are dropped, nested user
namespaces are refused, and the process tree runs with rlimits (file size, memory, open files,
cpu) plus a process cap: a pids cgroup when one can be created (needed as host root, where
RLIMIT_NPROC does not apply), RLIMIT_NPROC otherwise. The whole tree dies with bwrap.
"""
from __future__ import annotations

import os
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
TOOLS_DIR = "/.tb/bin"  # python3/pytest/uv shims, first on PATH
PYDEPS_DIR = "/.tb/pydeps"  # per-task `pip install --target` results
PLUGIN_DIR = "/.tb/py"  # the stand-in for pytest-json-ctrf
CONTROL_DIR = "/.tb/ctl"  # the attempt script and its captured output


class SandboxUnavailable(RuntimeError):
    pass


@dataclass
class Overlay:
    """One system directory as an overlay: `layers` (top-most first) over the host directory,
    writes going to `upper` (with overlayfs's `work` beside it), mounted at `merged` on the host
    side of the private namespace and bound by bwrap at the directory's own path."""

    layers: list[Path]
    upper: Path
    work: Path
    merged: Path


@dataclass
class SandboxConfig:
    bwrap: str = "bwrap"
    # the interpreter the task's tests run with: it must have pytest (ours: the venv's python)
    python: str = field(default_factory=lambda: sys.executable)
    max_processes: int = 256
    max_file_bytes: int = 256 * 1024 * 1024
    max_address_space_bytes: int | None = 4 * 1024 * 1024 * 1024
    max_open_files: int = 1024
    tmp_size_bytes: int = 512 * 1024 * 1024
    system_dirs: tuple[str, ...] = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "var")
    # empty in the sandbox (the host's are hidden); the builder gives the persistent ones a
    # writable directory of the trial's, so what a RUN step puts there survives into the trial
    empty_dirs: tuple[str, ...] = ("/run", "/home", "/opt", "/srv", "/mnt", "/media")
    persistent_dirs: tuple[str, ...] = ("/home", "/opt", "/srv", "/root")
    home: str = "/root"
    share_network: bool = False
    # overlay the system dirs (writable per task, apt packages layered in) when the kernel allows
    # overlayfs in a user namespace; otherwise they stay read-only and the builder says so
    use_overlays: bool = True
    use_cgroup: bool = True
    cgroup_roots: tuple[str, ...] = ("/sys/fs/cgroup/pids", "/sys/fs/cgroup")


@lru_cache(maxsize=8)
def python_prefixes(python: str) -> tuple[str, ...]:
    """Directories the interpreter needs visible: its venv prefix and its base installation."""
    out = subprocess.run(
        [python, "-c", "import sys,os;print(sys.prefix);print(sys.base_prefix);print(os.path.realpath(sys.executable))"],
        capture_output=True, text=True, timeout=30,
    )
    if out.returncode != 0:
        raise SandboxUnavailable(f"cannot run the test python {python}: {out.stderr.strip()[:200]}")
    prefix, base, real = out.stdout.split("\n")[:3]
    paths = {os.path.realpath(prefix), os.path.realpath(base), os.path.dirname(os.path.dirname(real))}
    # the venv directory itself must keep its own path: its pyvenv.cfg and bin/ symlinks point there
    paths.add(os.path.abspath(prefix))
    return tuple(sorted(paths))


@lru_cache(maxsize=8)
def bwrap_works(bwrap: str = "bwrap") -> str | None:
    """None if bubblewrap can build a sandbox here, else why not."""
    exe = shutil.which(bwrap)
    if not exe:
        return f"{bwrap} not found on PATH (install bubblewrap)"
    try:
        r = subprocess.run(
            [exe, "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
             "--symlink", "usr/lib64", "/lib64", "--proc", "/proc", "--dev", "/dev", "--unshare-all",
             "--die-with-parent", "/usr/bin/true"],
            capture_output=True, text=True, timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"{exe} failed to start: {e}"
    if r.returncode != 0:
        return f"{exe} cannot create namespaces here: {r.stderr.strip()[:300]}"
    return None


@lru_cache(maxsize=4)
def overlays_work(unshare: str = "unshare") -> str | None:
    """None if an overlay can be mounted in a private user+mount namespace here, else why not."""
    exe = shutil.which(unshare)
    if not exe or not shutil.which("mount"):
        return "unshare or mount not found (util-linux)"
    import tempfile

    with tempfile.TemporaryDirectory(prefix="tb-ovl-probe-") as d:
        for sub in ("low", "up", "wk", "m"):
            os.mkdir(os.path.join(d, sub))
        opts = f"lowerdir={d}/low,upperdir={d}/up,workdir={d}/wk,userxattr"
        try:
            r = subprocess.run([exe, "-Urm", "--", "mount", "-t", "overlay", "overlay", "-o", opts, f"{d}/m"],
                               capture_output=True, text=True, timeout=20)
        except (OSError, subprocess.TimeoutExpired) as e:
            return f"unshare failed: {e}"
        if r.returncode != 0:
            return f"overlayfs in a user namespace is not available: {r.stderr.strip()[:200]}"
    return None


def _overlay_prelude(overlays: dict[str, Overlay]) -> str:
    """The shell run by `unshare` before bwrap: one overlay mount per system directory."""
    cmds = []
    for dest, ov in sorted(overlays.items()):
        lowers = [str(p) for p in ov.layers] + [dest]
        for p in (*lowers, str(ov.upper), str(ov.work)):
            if any(c in p for c in ",:\n"):
                raise SandboxUnavailable(f"overlay path {p!r} holds ',' or ':' which mount options cannot carry")
        opts = f"lowerdir={':'.join(lowers)},upperdir={ov.upper},workdir={ov.work},userxattr"
        cmds.append(f"mount -t overlay overlay -o {shlex.quote(opts)} {shlex.quote(str(ov.merged))} || exit 97")
    return "\n".join(cmds + ['exec "$@"']) + "\n"


class PidsCgroup:
    """A pids cgroup capping the sandbox's process count; None-safe when unavailable."""

    def __init__(self, roots: tuple[str, ...], max_pids: int):
        self.path: Path | None = None
        for root in roots:
            r = Path(root)
            # v1: the pids hierarchy's root (no pids.max of its own); v2: a root listing "pids"
            v1 = r.name == "pids" and (r / "cgroup.procs").exists()
            v2 = (r / "cgroup.procs").exists() and "pids" in _read(r / "cgroup.subtree_control").split()
            ok = v1 or v2
            if not ok or not os.access(r, os.W_OK):
                continue
            p = r / f"tb-trial-{uuid.uuid4().hex[:12]}"
            try:
                p.mkdir()
                (p / "pids.max").write_text(str(max_pids))
            except OSError:
                try:
                    p.rmdir()
                except OSError:
                    pass
                continue
            self.path = p
            break

    def join_self(self) -> None:  # runs in the child between fork and exec
        if self.path is not None:
            with open(self.path / "cgroup.procs", "w") as f:
                f.write(str(os.getpid()))

    def kill_all(self) -> None:
        if self.path is None:
            return
        for _ in range(50):
            pids = [int(x) for x in _read(self.path / "cgroup.procs").split()]
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.02)

    def remove(self) -> None:
        if self.path is None:
            return
        self.kill_all()
        for _ in range(50):
            try:
                self.path.rmdir()
                break
            except OSError:
                time.sleep(0.05)
        self.path = None


def _read(p: Path) -> str:
    try:
        return p.read_text()
    except OSError:
        return ""


@dataclass
class Mounts:
    writable: dict[str, Path] = field(default_factory=dict)  # sandbox path -> host dir
    readonly: dict[str, Path] = field(default_factory=dict)
    root: Path | None = None  # host dir bound writable at / (the task's own image paths)
    overlays: dict[str, Overlay] = field(default_factory=dict)  # system dir ("/usr") -> its overlay


def bwrap_argv(cfg: SandboxConfig, mounts: Mounts, env: dict[str, str], cwd: str, command: list[str]) -> list[str]:
    exe = shutil.which(cfg.bwrap) or cfg.bwrap
    argv = [exe]
    if mounts.root is not None:
        argv += ["--bind", str(mounts.root), "/"]
    system: set[str] = set()
    for name in cfg.system_dirs:
        host = Path("/") / name
        if host.is_symlink():
            if mounts.root is None:
                argv += ["--symlink", os.readlink(host), str(host)]
            elif not os.path.lexists(mounts.root / name):  # bwrap refuses to make one that exists
                os.symlink(os.readlink(host), mounts.root / name)
        elif str(host) in mounts.overlays:
            argv += ["--bind", str(mounts.overlays[str(host)].merged), str(host)]
            system.add(str(host))
        elif host.is_dir():
            argv += ["--ro-bind", str(host), str(host)]
            system.add(str(host))
    argv += ["--proc", "/proc", "--dev", "/dev"]
    # Every other mount, parents before children (a stable sort on depth): a python prefix under
    # $HOME must be bound after $HOME's own tmpfs or graft, a graft after its parent graft.
    ops: list[tuple[str, list[str]]] = []
    if mounts.root is None:  # with a root of the task's own, /tmp is its directory: what the build left there stays
        ops.append(("/tmp", ["--size", str(cfg.tmp_size_bytes), "--tmpfs", "/tmp"]))
    # with a root of the task's own, /home, /opt, ... are its directories (what the build put there)
    hidden = ("/run",) if mounts.root is not None else (*cfg.empty_dirs, cfg.home)
    for d in hidden:
        if d not in mounts.writable and d not in mounts.readonly:
            ops.append((d, ["--tmpfs", d]))
    for p in python_prefixes(cfg.python):
        if not any(p == d or p.startswith(d + "/") for d in system):  # already visible (and maybe layered)
            ops.append((p, ["--ro-bind", p, p]))
    for dest, src in mounts.readonly.items():
        ops.append((dest, ["--ro-bind", str(src), dest]))
    for dest, src in mounts.writable.items():
        ops.append((dest, ["--bind", str(src), dest]))
    for _, op in sorted(ops, key=lambda o: o[0].rstrip("/").count("/")):
        argv += op
    argv += ["--unshare-all", "--unshare-user", "--disable-userns", "--cap-drop", "ALL",
             "--die-with-parent", "--new-session", "--hostname", "tb-sandbox"]
    if cfg.share_network:
        argv += ["--share-net"]
    argv += ["--clearenv"]
    for k, v in env.items():
        argv += ["--setenv", k, v]
    argv += ["--chdir", cwd, "--"]
    if not mounts.overlays:
        return argv + command
    # bwrap then runs inside the namespace `unshare` made, where the overlays are mounted
    return [shutil.which("unshare") or "unshare", "-Urm", "--", "/bin/sh", "-c", _overlay_prelude(mounts.overlays),
            "tb-overlay", *argv, *command]


def _limits(cfg: SandboxConfig, cpu_s: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (cfg.max_file_bytes, cfg.max_file_bytes))
        resource.setrlimit(resource.RLIMIT_NOFILE, (cfg.max_open_files, cfg.max_open_files))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 5))
        if cfg.max_address_space_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (cfg.max_address_space_bytes, cfg.max_address_space_bytes))
        if os.geteuid() != 0:  # root ignores RLIMIT_NPROC; the cgroup covers that case
            resource.setrlimit(resource.RLIMIT_NPROC, (cfg.max_processes, cfg.max_processes))

    return apply


class SandboxProcess:
    """A running sandbox: stdout read on a thread into lines, killable as a whole tree."""

    def __init__(self, cfg: SandboxConfig, argv: list[str], cpu_s: int, stdin_pipe: bool = False):
        self.cgroup = PidsCgroup(cfg.cgroup_roots, cfg.max_processes) if cfg.use_cgroup else PidsCgroup((), 0)
        limits = _limits(cfg, cpu_s)
        cg = self.cgroup

        def preexec() -> None:
            cg.join_self()
            limits()

        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE if stdin_pipe else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            preexec_fn=preexec,
            start_new_session=True,
        )
        self.lines: list[bytes] = []
        self._cond = threading.Condition()
        self._eof = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    @property
    def contained(self) -> bool:
        return self.cgroup.path is not None or os.geteuid() != 0

    def _read(self) -> None:
        assert self.proc.stdout is not None
        total = 0
        for line in iter(self.proc.stdout.readline, b""):
            with self._cond:
                total += len(line)
                if total < 8 * 1024 * 1024:  # bounded: a chatty sandbox cannot exhaust our memory
                    self.lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    def wait_for(self, predicate, deadline: float) -> bool:
        """Wait until predicate(lines) is true or output ended or the deadline passed."""
        with self._cond:
            while not predicate(self.lines):
                if self._eof:
                    return predicate(self.lines)
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(timeout=min(left, 0.5))
            return True

    def send(self, data: bytes) -> None:
        if self.proc.stdin is not None:
            try:
                self.proc.stdin.write(data)
                self.proc.stdin.flush()
            except (BrokenPipeError, OSError):
                pass

    def output(self) -> str:
        with self._cond:
            return b"".join(self.lines).decode("utf-8", "replace")

    def kill(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.cgroup.kill_all()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self._reader.join(timeout=5)
        self.cgroup.remove()


def run_in_sandbox(cfg: SandboxConfig, mounts: Mounts, env: dict[str, str], cwd: str, command: list[str],
                   timeout_s: float) -> tuple[int | None, str]:
    """Run one command to completion (a build step). Exit status None: it hit the time limit."""
    sp = SandboxProcess(cfg, bwrap_argv(cfg, mounts, env, cwd, command), cpu_s=int(timeout_s) + 5)
    deadline = time.monotonic() + timeout_s
    rc: int | None = None
    try:
        while time.monotonic() < deadline:
            try:
                rc = sp.proc.wait(timeout=0.1)
                break
            except subprocess.TimeoutExpired:
                continue
    finally:
        sp.kill()
    return rc, sp.output()
