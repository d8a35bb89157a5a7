"""The local backend: a trial in a bubblewrap sandbox instead of a Docker container.

A trial is one sandbox, as a Terminal-Bench trial is one container: a driver runs the attempt
script in WORKDIR (stdin closed, output to a file, under the agent time limit), tells us it is
done, and waits; only then are the tests copied into the (read-only) /tests mount and the driver
runs the task's test script there. So a service the attempt started in the background is still
up when the tests query it, and the tests are not visible while the attempt runs.

Builds are interpreted once per task and copied for each trial; every trial's writable state is
a temporary folder that is removed afterwards.
"""
from __future__ import annotations

import os
import shutil
import stat
import tempfile
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from .builder import BuildConfig, BuiltEnv, LocalBuilder, sandbox_env
from .dockerfile import DockerfileError
from .end_state import diff_end_state, snapshot
from .loader import TBTask
from .result import TrialResult, bound, judge
from .sandbox import (
    CONTROL_DIR, PLUGIN_DIR, TOOLS_DIR, Mounts, SandboxConfig, SandboxProcess, SandboxUnavailable, bwrap_argv,
    bwrap_works,
)
from .shims import APT_DIR, write_shims

_AGENT_MARK = "@@TB_LOCAL_AGENT_RC "
_TEST_MARK = "@@TB_LOCAL_TEST_RC "

# The driver is pid 1's child inside the sandbox. Its stdout is our pipe; the attempt gets its own
# stdout (a file) and no stdin, so what the attempt prints cannot pose as test output.
_DRIVER = r"""
mkdir -p "$HOME/.local/bin" 2>/dev/null
printf 'export PATH="$HOME/.local/bin:$PATH"\n' > "$HOME/.local/bin/env" 2>/dev/null
cd "$TB_WORKDIR" 2>/dev/null || cd /
timeout -k 2 "$TB_AGENT_TIMEOUT" bash /.tb/ctl/attempt.sh </dev/null >/.tb/ctl/attempt.out 2>&1
rc=$?
# out of time: whatever the attempt left running (a fork bomb's remains) goes too; kill(-1)
# spares the caller and the namespace's init
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then kill -9 -1 2>/dev/null; sleep 0.2; fi
printf '\n@@TB_LOCAL_AGENT_RC %s\n' "$rc"
read -r _go || exit 0
cd "$TB_WORKDIR" 2>/dev/null || cd /
export TEST_DIR=/tests
timeout -k 2 "$TB_TEST_TIMEOUT" bash "$TB_TEST_SCRIPT" </dev/null 2>&1
rc=$?
printf '\n@@TB_LOCAL_TEST_RC %s\n' "$rc"
"""


@dataclass
class LocalConfig:
    sandbox: SandboxConfig = field(default_factory=SandboxConfig)
    build: BuildConfig = field(default_factory=BuildConfig)
    scratch_dir: str | None = None  # where trial folders live (default: the system temp dir)
    grace_s: float = 5.0  # beyond the task's own limits, before the sandbox is killed
    cache_builds: bool = True


def _rmtree(path: Path) -> None:
    """Remove a trial folder even if the attempt made parts of it unreadable."""

    def onerror(func, p, _exc):
        try:
            os.chmod(os.path.dirname(p), 0o700)
            if not os.path.islink(p):  # a link the attempt planted may point anywhere on the host
                os.chmod(p, stat.S_IRWXU)
        except OSError:
            pass
        try:
            func(p)
        except OSError:
            pass

    if path.exists():
        for dirpath, dirnames, _ in os.walk(path):
            for d in dirnames:
                p = os.path.join(dirpath, d)
                if os.path.islink(p):  # the image's /bin -> usr/bin: never chmod through a link
                    continue
                try:
                    os.chmod(p, 0o700)
                except OSError:
                    pass
        shutil.rmtree(path, onerror=onerror)


class LocalBackend:
    name = "local"

    def __init__(self, config: LocalConfig | None = None):
        self.config = config or LocalConfig()
        self._scratch = Path(tempfile.mkdtemp(prefix="tb-local-", dir=self.config.scratch_dir))
        self._tools = self._scratch / "tools"
        write_shims(self._tools / "bin", self._tools / "py", self.config.sandbox.python)
        self._builds: dict[str, BuiltEnv] = {}
        self._finalizer = weakref.finalize(self, _rmtree, self._scratch)

    def close(self) -> None:
        self._finalizer()

    def __enter__(self) -> "LocalBackend":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @staticmethod
    def available() -> str | None:
        """None when this backend can run here, else the reason it cannot."""
        return bwrap_works("bwrap")

    def _tool_mounts(self) -> Mounts:
        return Mounts(readonly={TOOLS_DIR: self._tools / "bin", PLUGIN_DIR: self._tools / "py"})

    def _built(self, task: TBTask) -> BuiltEnv:
        key = str(task.path)
        if key in self._builds and self.config.cache_builds:
            return self._builds[key]
        builder = LocalBuilder(self.config.sandbox, self.config.build, self._tool_mounts())
        built = builder.build(task, self._scratch / "builds" / f"{task.id}-{len(self._builds)}")
        self._builds[key] = built
        return built

    def run_trial(self, task: TBTask, script: str, timeout_s: float | None = None,
                  with_solution_files: bool = False) -> TrialResult:
        t0 = time.monotonic()
        res = TrialResult(task_id=task.id, backend=self.name)
        why = self.available()
        if why:
            res.error = f"local backend unavailable: {why}"
            return res
        if task.format == "tb1" and task.parser_name != "pytest":
            res.error = f"{task.path / 'task.yaml'}: parser_name {task.parser_name!r} is not supported (only pytest)"
            return res
        trial = Path(tempfile.mkdtemp(prefix=f"trial-{task.id}-", dir=self._scratch))
        try:
            built = self._built(task)
            res.build_steps = list(built.steps)
            res.unhonoured_steps = list(built.unhonoured)
            self._run(task, built, trial, script, timeout_s, with_solution_files, res)
        except SandboxUnavailable as e:
            res.error = f"local backend unavailable: {e}"
        except DockerfileError as e:
            res.error = f"the image could not be built: {e}"
        finally:
            _rmtree(trial)
            res.wall_s = round(time.monotonic() - t0, 3)
        return res

    def _run(self, task: TBTask, built: BuiltEnv, trial: Path, script: str, timeout_s: float | None,
             with_solution_files: bool, res: TrialResult) -> None:
        # a private copy of the built image for this trial; the system dirs get a fresh upper layer
        rootfs = trial / "fs"
        shutil.copytree(built.rootfs, rootfs, symlinks=True)
        logs = trial / "logs"
        (logs / "verifier").mkdir(parents=True)
        (logs / "agent").mkdir(parents=True)
        ctl = trial / "ctl"
        ctl.mkdir()
        tests = trial / "tests"
        tests.mkdir()
        (ctl / "attempt.sh").write_text(script if script.endswith("\n") else script + "\n")
        (ctl / "driver.sh").write_text(_DRIVER)

        (ctl / "attempt.out").touch()
        # the control folder is read-only inside; the output file is its own bind mount, which an
        # `rm -rf /` cannot unlink, so what the attempt printed survives it
        mounts = Mounts(writable={"/logs": logs, f"{CONTROL_DIR}/attempt.out": ctl / "attempt.out"},
                        readonly={**self._tool_mounts().readonly, CONTROL_DIR: ctl},
                        root=rootfs, overlays=built.overlays(trial))
        mounts.readonly["/.tb/pydeps"] = built.pydeps
        mounts.readonly[APT_DIR] = built.apt_list.parent
        mounts.readonly["/tests"] = tests
        if with_solution_files and task.solution_dir is not None:
            mounts.readonly["/solution"] = task.solution_dir

        agent_t = float(timeout_s if timeout_s is not None else task.agent_timeout_s)
        test_t = float(task.test_timeout_s)
        test_script = "/tests/run-tests.sh" if task.format == "tb1" else "/tests/test.sh"
        env = sandbox_env(built.env, self.config.sandbox.home)
        env.update(TB_WORKDIR=built.workdir, TB_AGENT_TIMEOUT=f"{agent_t:g}", TB_TEST_TIMEOUT=f"{test_t:g}",
                   TB_TEST_SCRIPT=test_script)

        wd_host = self._workdir_host(built, trial)
        before = snapshot(wd_host) if wd_host else {}

        argv = bwrap_argv(self.config.sandbox, mounts, env, "/", ["bash", f"{CONTROL_DIR}/driver.sh"])
        sp = SandboxProcess(self.config.sandbox, argv, cpu_s=int(agent_t + test_t) + 30, stdin_pipe=True)
        if not sp.contained:
            res.notes.append("process cap not enforced (no pids cgroup and running as root)")
        try:
            got = sp.wait_for(lambda ls: _marker(ls, _AGENT_MARK) is not None,
                              time.monotonic() + agent_t + self.config.grace_s)
            agent_rc = _marker(sp.lines, _AGENT_MARK) if got else None
            res.script_exit = None if agent_rc in (None, 124, 137) else agent_rc
            if agent_rc in (124, 137) or not got:
                res.notes.append(f"attempt script stopped at the time limit ({agent_t:g}s)")
            res.script_output = bound(_read_text(ctl / "attempt.out"))
            after = snapshot(wd_host) if wd_host else {}
            res.end_state = diff_end_state(before, after, built.workdir, res.script_output)
            if not got:
                res.error = "the attempt did not finish within its time limit; tests not run"
                return
            # tests appear only now (read-only mount, so nothing planted during the attempt)
            _copy_tests(task, tests)
            mark_at = len(sp.lines)
            sp.send(b"go\n")
            done = sp.wait_for(lambda ls: _marker(ls, _TEST_MARK) is not None, time.monotonic() + test_t + self.config.grace_s)
            out = b"".join(sp.lines[mark_at:]).decode("utf-8", "replace")
            out = out.split(_TEST_MARK, 1)[0]
            res.test_output = bound(out)
            test_rc = _marker(sp.lines, _TEST_MARK) if done else None
            res.test_exit = None if test_rc in (None, 124, 137) else test_rc
            if not done or test_rc in (124, 137):
                res.notes.append(f"tests stopped at the time limit ({test_t:g}s)")
        finally:
            sp.kill()
        judge(res, task.format, out, lambda: (logs / "verifier" / "reward.txt").read_text())

    @staticmethod
    def _workdir_host(built: BuiltEnv, trial: Path) -> Path | None:
        """Where the trial's WORKDIR lives on the host (for the end-state snapshot): its rootfs,
        or the trial's upper layer when WORKDIR is inside a system directory."""
        rel = built.workdir.strip("/")
        top = "/" + rel.split("/", 1)[0] if rel else "/"
        if top in built.uppers:
            return trial / "upper" / rel
        return trial / "fs" / rel


def _copy_tests(task: TBTask, dest: Path) -> None:
    shutil.copytree(task.tests_dir, dest, dirs_exist_ok=True, symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    if task.format == "tb1":
        shutil.copy2(task.test_script, dest / "run-tests.sh")
        # the harness's shared scripts, which stock runners call, when the task does not ship them
        for name, ours in (("setup-uv-pytest.sh", "tb1_setup_uv_pytest.sh"), ("run-uv-pytest.sh", "tb1_run_uv_pytest.sh")):
            if not (dest / name).exists():
                shutil.copy2(Path(__file__).resolve().parent / ours, dest / name)


def _marker(lines: list[bytes], mark: str) -> int | None:
    m = mark.encode()
    for ln in reversed(lines):
        if ln.startswith(m):
            try:
                return int(ln[len(m):].strip())
            except ValueError:
                return None
    return None


def _read_text(p: Path, limit: int = 2 * 1024 * 1024) -> str:
    try:
        with open(p, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > limit:
                head = f.read(limit // 4)
                f.seek(size - (limit - limit // 4))
                return (head + b"\n...[cut]...\n" + f.read()).decode("utf-8", "replace")
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""
