"""Choosing where trials run: Docker when a daemon answers, else the local bubblewrap sandbox."""
from __future__ import annotations

from typing import Callable, Literal, Protocol

from .loader import TBTask
from .result import TrialResult

BackendName = Literal["auto", "local", "docker"]


class Backend(Protocol):
    name: str

    def run_trial(self, task: TBTask, script: str, timeout_s: float | None = None,
                  with_solution_files: bool = False) -> TrialResult: ...


def pick_backend(prefer: BackendName | str = "auto", *,
                 docker_probe: Callable[[], str | None] | None = None) -> Backend:
    """`auto`: Docker if its daemon is reachable, otherwise local. An explicit choice that cannot
    run here raises with the reason instead of silently falling back."""
    from .docker_backend import DockerBackend, docker_available
    from .local_backend import LocalBackend

    probe = docker_probe or docker_available
    if prefer not in ("auto", "local", "docker"):
        raise ValueError(f"unknown backend {prefer!r}: choose auto, local or docker")
    if prefer == "docker":
        why = probe()
        if why:
            raise RuntimeError(f"docker backend requested but unavailable: {why}")
        return DockerBackend()
    if prefer == "auto" and probe() is None:
        return DockerBackend()
    return LocalBackend()
