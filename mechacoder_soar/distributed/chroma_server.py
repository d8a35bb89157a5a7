"""Start and stop a local Chroma server (`chroma run`, shipped with chromadb) for tests and benchmarks.

Production runs a Chroma server however its operators like; this is the small, honest way to get
one on loopback: a free port, a data directory, wait for the heartbeat, terminate on exit.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path


class ChromaServerError(RuntimeError):
    pass


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def chroma_executable() -> str:
    """The `chroma` CLI next to this interpreter (the venv's), else on PATH."""
    here = Path(sys.executable).parent / "chroma"
    if here.exists():
        return str(here)
    found = shutil.which("chroma")
    if not found:
        raise ChromaServerError("no `chroma` executable: install chromadb into this environment")
    return found


class ChromaServer:
    """`with ChromaServer(path) as url:` runs `chroma run --path PATH --host 127.0.0.1 --port P`."""

    def __init__(self, path: str | Path, host: str = "127.0.0.1", port: int | None = None,
                 startup_timeout_s: float = 60.0, log_path: str | Path | None = None):
        self.path = Path(path)
        self.host = host
        self.port = port or free_port(host)
        self.startup_timeout_s = startup_timeout_s
        self.log_path = Path(log_path) if log_path else self.path.parent / f"chroma-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> str:
        import httpx

        self.path.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [chroma_executable(), "run", "--path", str(self.path), "--host", self.host, "--port", str(self.port)],
            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ChromaServerError(f"chroma run exited with {self.proc.returncode}; log: {self.log_path}\n"
                                        + self.log_path.read_text(errors="replace")[-2000:])
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1.0).status_code == 200:
                    return self.url
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise ChromaServerError(f"chroma server on {self.url} gave no heartbeat within {self.startup_timeout_s:.0f} s; log: {self.log_path}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
