"""The Docker backend: the task's own image and compose file, as Terminal-Bench runs it.

Used when a Docker daemon is reachable. Same interface as the local backend: build and start
the compose project, copy the attempt in and run it under the agent time limit, copy tests to
/tests and run the test script, parse the verdict the same way, tear everything down.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from .end_state import diff_end_state
from .loader import TBTask
from .result import TrialResult, bound, judge


def docker_available(timeout_s: float = 5.0) -> str | None:
    """None when a Docker daemon answers, else why not."""
    exe = shutil.which("docker")
    if not exe:
        return "docker CLI not found on PATH"
    try:
        r = subprocess.run([exe, "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True,
                           timeout=timeout_s)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"docker daemon did not answer: {e}"
    if r.returncode != 0 or not r.stdout.strip():
        return f"docker daemon not reachable: {(r.stderr or r.stdout).strip()[:200]}"
    return None


_LISTING = (
    "cd {wd} 2>/dev/null && find . -xdev \\( -type f -o -type l -o -type d \\) -printf '%y %m %s %p\\n' "
    "2>/dev/null | head -2000; find . -xdev -type f -size -64M -exec sha256sum {{}} + 2>/dev/null | head -2000"
)


class DockerBackend:
    name = "docker"

    def __init__(self, docker: str = "docker"):
        self.docker = docker

    @staticmethod
    def available() -> str | None:
        return docker_available()

    def _compose(self, task: TBTask, project: str, env: dict[str, str], *args: str, timeout: float,
                 input_text: str | None = None) -> subprocess.CompletedProcess:
        compose = next((p for p in (task.path / "docker-compose.yaml", task.path / "docker-compose.yml",
                                    task.build_context / "docker-compose.yaml") if p.exists()), None)
        cmd = [self.docker, "compose", "-p", project]
        if compose is not None:
            cmd += ["-f", str(compose)]
        return subprocess.run(cmd + list(args), cwd=str(task.path), env={**os.environ, **env}, input=input_text,
                              capture_output=True, text=True, timeout=timeout)

    def run_trial(self, task: TBTask, script: str, timeout_s: float | None = None,
                  with_solution_files: bool = False) -> TrialResult:
        t0 = time.monotonic()
        res = TrialResult(task_id=task.id, backend=self.name)
        project = f"tb-{task.id}-{uuid.uuid4().hex[:8]}".lower().replace(".", "-")
        logs = Path(tempfile.mkdtemp(prefix="tb-docker-logs-"))
        env = {
            "T_BENCH_TASK_DOCKER_CLIENT_IMAGE_NAME": f"tb__{task.id}__client".replace(".", "-"),
            "T_BENCH_TASK_DOCKER_CLIENT_CONTAINER_NAME": project,
            "T_BENCH_TEST_DIR": "/tests",
            "T_BENCH_TASK_LOGS_PATH": str(logs),
            "T_BENCH_CONTAINER_LOGS_PATH": "/logs",
            "T_BENCH_TASK_AGENT_LOGS_PATH": str(logs / "agent"),
            "T_BENCH_CONTAINER_AGENT_LOGS_PATH": "/agent-logs",
        }
        agent_t = float(timeout_s if timeout_s is not None else task.agent_timeout_s)
        try:
            up = self._compose(task, project, env, "up", "-d", "--build", timeout=1800)
            if up.returncode != 0:
                res.error = f"docker compose up failed: {up.stderr.strip()[-500:]}"
                return res
            service = self._compose(task, project, env, "ps", "--services", timeout=60).stdout.split()
            svc = "client" if "client" in service else (service[0] if service else "client")
            if with_solution_files and task.solution_dir is not None:
                self._compose(task, project, env, "cp", str(task.solution_dir), f"{svc}:/solution", timeout=120)
            before = self._listing(task, project, env, svc)
            run = self._compose(task, project, env, "exec", "-T", svc, "timeout", f"{agent_t:g}", "bash", "-s",
                                timeout=agent_t + 60, input_text=script)
            res.script_output = bound(run.stdout + run.stderr)
            res.script_exit = None if run.returncode in (124, 137) else run.returncode
            after = self._listing(task, project, env, svc)
            res.end_state = diff_end_state(before, after, task.workdir, res.script_output)
            self._compose(task, project, env, "cp", str(task.tests_dir) + "/.", f"{svc}:/tests", timeout=120)
            test_script = "/tests/test.sh"
            if task.format == "tb1":
                self._compose(task, project, env, "cp", str(task.test_script), f"{svc}:/tests/run-tests.sh", timeout=120)
                test_script = "/tests/run-tests.sh"
            t = self._compose(task, project, env, "exec", "-T", "-e", "TEST_DIR=/tests", svc, "timeout",
                              f"{task.test_timeout_s:g}", "bash", test_script, timeout=task.test_timeout_s + 120)
            out = t.stdout + t.stderr
            res.test_output = bound(out)
            res.test_exit = None if t.returncode in (124, 137) else t.returncode
            judge(res, task.format, out, lambda: self._compose(
                task, project, env, "exec", "-T", svc, "cat", "/logs/verifier/reward.txt", timeout=60).stdout)
        except subprocess.TimeoutExpired as e:
            res.error = f"docker step timed out: {e}"
        finally:
            try:
                self._compose(task, project, env, "down", "-v", "--rmi", "local", "--timeout", "1", timeout=300)
            except subprocess.TimeoutExpired:
                pass
            shutil.rmtree(logs, ignore_errors=True)
            res.wall_s = round(time.monotonic() - t0, 3)
        return res

    def _listing(self, task: TBTask, project: str, env: dict[str, str], svc: str) -> dict:
        r = self._compose(task, project, env, "exec", "-T", svc, "sh", "-c", _LISTING.format(wd=task.workdir),
                          timeout=120)
        out: dict[str, dict] = {}
        for line in r.stdout.splitlines():
            parts = line.split(None, 3)
            if len(parts) == 4 and len(parts[0]) == 1:
                kind, mode, size, path = parts
                rel = path[2:] if path.startswith("./") else path
                if rel in (".", ""):
                    continue
                out[rel] = {"type": {"f": "file", "d": "dir", "l": "symlink"}.get(kind, "other"),
                            "mode": mode.zfill(4), **({"size": int(size)} if kind == "f" else {})}
            elif len(line) > 66 and line[64:66] == "  ":
                rel = line[66:]
                rel = rel[2:] if rel.startswith("./") else rel
                if rel in out:
                    out[rel]["sha256"] = line[:64]
        return out
