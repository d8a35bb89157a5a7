"""How a worker process is launched: the bubblewrap command line, or the rlimits-only fallback.

The sandbox sees a nearly empty filesystem: /usr (+ the /bin, /lib symlinks), the dynamic-loader
cache, the base Python installation (read-only, at its own path), a private site dir holding only
the packages named in `ExecConfig.packages`, the worker package, a size-limited private /tmp, and
minimal /proc and /dev. Everything else (the repository and its venv, the skill store, $HOME,
/etc) is simply absent. The root and /dev are remounted read-only so /tmp is the only writable
place. Network, IPC, PID, UTS, cgroup and user namespaces are unshared; the uid inside is nobody.
The environment is cleared. bubblewrap dies with us (--die-with-parent) and puts the sandbox in
a new session (--new-session: no TIOCSTI on our terminal).
"""
from __future__ import annotations

import importlib.util
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .config import ExecConfig

log = logging.getLogger(__name__)

SANDBOX_ROOT = "/sandbox"
SANDBOX_SITE = "/sandbox/site"
SANDBOX_WORKER = "/sandbox/worker"  # run as a directory: its __main__.py, and the package soar_worker/
WORKER_PACKAGE = "soar_worker"
SANDBOX_SCRATCH = "/tmp"

_ENV = {
    "PATH": "/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONHASHSEED": "0",
    # one BLAS/OpenMP thread: workers are already one per core, and the zygote must fork cleanly
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


class SandboxUnavailable(RuntimeError):
    pass


def base_python(cfg: ExecConfig) -> str:
    """The real interpreter binary. We run it with -I -S, so the venv (which lives inside the
    repository) is never consulted; numpy & co. come from the private site dir instead."""
    if cfg.python:
        return os.path.realpath(cfg.python)
    return os.path.realpath(sys.executable)


def package_dirs(names: tuple[str, ...]) -> dict[str, str]:
    """name -> directory for each installed package in `names` (and its vendored `NAME.libs`),
    resolved without importing the package."""
    out: dict[str, str] = {}
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            if name == "numpy":
                raise SandboxUnavailable("numpy is not installed for the worker interpreter")
            continue
        pkg = os.path.realpath(list(spec.submodule_search_locations)[0])
        out[name] = pkg
        libs = pkg + ".libs"
        if os.path.isdir(libs):
            out[name + ".libs"] = libs
    return out


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


@dataclass
class LaunchSpec:
    argv: list[str]
    env: dict[str, str]
    cwd: str
    isolation: str


class Launcher:
    """Owns the private files a worker needs (worker package copy, fallback site/scratch dirs) and
    builds the command for each worker start."""

    def __init__(self, cfg: ExecConfig):
        self.cfg = cfg
        self.tmp = Path(tempfile.mkdtemp(prefix="soar-exec-"))
        os.chmod(self.tmp, 0o700)
        self.worker = self.tmp / "worker"
        copy_worker(self.worker)
        self.python = base_python(cfg)
        self.base_prefix = os.path.realpath(sys.base_prefix)
        self.packages = package_dirs(cfg.packages)
        self.isolation = self._choose()

    def close(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ------------------------------------------------------------------ selection
    def _choose(self) -> str:
        want = self.cfg.sandbox
        if want == "rlimits":
            self._warn_unsandboxed("ExecConfig.sandbox='rlimits' was requested")
            return "rlimits-only"
        bw = bwrap_path()
        why = None
        if bw is None:
            why = "bubblewrap (bwrap) is not installed"
        else:
            probe = self._bwrap_argv(bw, ["/bin/true"], scratch_mb=1)
            try:
                r = subprocess.run(probe, env={}, capture_output=True, timeout=20)
                if r.returncode != 0:
                    why = f"bubblewrap does not work here: {r.stderr.decode(errors='replace').strip()[:300]}"
            except (OSError, subprocess.TimeoutExpired) as e:
                why = f"bubblewrap does not work here: {e}"
        if why is None:
            return "bubblewrap"
        if want == "bubblewrap":
            raise SandboxUnavailable(why)
        self._warn_unsandboxed(why)
        return "rlimits-only"

    @staticmethod
    def _warn_unsandboxed(why: str) -> None:
        log.warning(
            "!!! SANDBOX DEGRADED: %s. Programs run as separate processes with rlimits, a cleared "
            "environment and seccomp (where available), but WITHOUT filesystem/network namespaces: "
            "they can read any file this user can. Install bubblewrap for real isolation. !!!",
            why,
        )

    # ------------------------------------------------------------------ commands
    def _bwrap_argv(self, bw: str, cmd: list[str], scratch_mb: int) -> list[str]:
        a = [bw, "--unshare-all", "--unshare-user", "--uid", "65534", "--gid", "65534"]
        a += ["--die-with-parent", "--new-session", "--clearenv"]
        for k, v in _ENV.items():
            a += ["--setenv", k, v]
        a += ["--setenv", "HOME", SANDBOX_SCRATCH]
        a += ["--ro-bind", "/usr", "/usr"]
        for d in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
            if os.path.islink(d):
                a += ["--symlink", os.readlink(d), d]
            elif os.path.isdir(d):
                a += ["--ro-bind", d, d]
        a += ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"]
        if not self.base_prefix.startswith("/usr/"):
            a += ["--ro-bind", self.base_prefix, self.base_prefix]
        py_dir = os.path.dirname(self.python)
        if not (py_dir.startswith("/usr/") or py_dir.startswith(self.base_prefix + "/")):
            a += ["--ro-bind", self.python, self.python]
        for name, path in self.packages.items():
            a += ["--ro-bind", path, f"{SANDBOX_SITE}/{name}"]
        a += ["--ro-bind", str(self.worker), SANDBOX_WORKER]
        a += ["--proc", "/proc", "--dev", "/dev"]
        a += ["--size", str(scratch_mb * 1024 * 1024), "--tmpfs", SANDBOX_SCRATCH]
        a += ["--remount-ro", "/", "--remount-ro", "/dev", "--chdir", SANDBOX_SCRATCH]
        if _supports(bw, "--disable-userns"):
            a += ["--disable-userns"]
        return a + cmd

    def worker_config(self, scratch: str, site_dirs: list[str]) -> dict:
        c = self.cfg
        return {
            "timeout_s": c.timeout_s,
            "grace_s": c.grace_s,
            "memory_mb": c.memory_mb,
            "validate": c.validate,
            "seccomp": c.seccomp,
            "scratch": scratch,
            "site_dirs": site_dirs,
            "preload": list(c.preload),
            "fsize_mb": c.fsize_mb,
            "nproc": c.nproc,
            "recycle_cpu_s": c.recycle_cpu_s,
            "flush_s": c.flush_s,
        }

    def spec(self) -> LaunchSpec:
        if self.isolation == "bubblewrap":
            wcfg = self.worker_config(SANDBOX_SCRATCH, [SANDBOX_SITE])
            argv = self._bwrap_argv(
                bwrap_path() or "bwrap",
                [self.python, "-I", "-S", SANDBOX_WORKER, json.dumps(wcfg)],
                self.cfg.scratch_mb,
            )
            return LaunchSpec(argv, {}, "/", "bubblewrap")
        # rlimits-only: private site dir of symlinks (so the repo and the rest of site-packages
        # stay off sys.path) and a private scratch dir; limits are set inside the executor
        site = self.tmp / "site"
        site.mkdir(exist_ok=True)
        for name, path in self.packages.items():
            link = site / name
            if not link.exists():
                link.symlink_to(path)
        scratch = Path(tempfile.mkdtemp(prefix="scratch-", dir=self.tmp))
        wcfg = self.worker_config(str(scratch), [str(site)])
        env = dict(_ENV, HOME=str(scratch))
        return LaunchSpec([self.python, "-I", "-S", str(self.worker), json.dumps(wcfg)], env, str(scratch), "rlimits-only")


def copy_worker(dest: Path) -> None:
    """Lay out the worker for `python -I -S DEST`: DEST/__main__.py and the package's sources as
    DEST/soar_worker/ (a copy, not a bind of the repository, which the sandbox must not see)."""
    src = Path(__file__).with_name("worker")
    pkg = dest / WORKER_PACKAGE
    pkg.mkdir(parents=True)
    for f in src.glob("*.py"):
        shutil.copyfile(f, pkg / f.name)
    shutil.copyfile(src / "__main__.py", dest / "__main__.py")


_SUPPORT_CACHE: dict[tuple[str, str], bool] = {}


def _supports(bw: str, flag: str) -> bool:
    key = (bw, flag)
    if key not in _SUPPORT_CACHE:
        try:
            out = subprocess.run([bw, "--help"], capture_output=True, timeout=10, env={})
            _SUPPORT_CACHE[key] = flag in (out.stdout + out.stderr).decode(errors="replace")
        except (OSError, subprocess.TimeoutExpired):
            _SUPPORT_CACHE[key] = False
    return _SUPPORT_CACHE[key]
