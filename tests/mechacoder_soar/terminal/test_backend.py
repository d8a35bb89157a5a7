import subprocess

import pytest

from mechacoder_soar.terminal import pick_backend
from mechacoder_soar.terminal import docker_backend
from mechacoder_soar.terminal.docker_backend import DockerBackend, docker_available
from mechacoder_soar.terminal.local_backend import LocalBackend


def test_auto_picks_docker_when_the_daemon_answers():
    assert isinstance(pick_backend("auto", docker_probe=lambda: None), DockerBackend)


def test_auto_falls_back_to_local_without_a_daemon():
    b = pick_backend("auto", docker_probe=lambda: "docker CLI not found on PATH")
    assert isinstance(b, LocalBackend)
    b.close()


def test_explicit_choices():
    with pytest.raises(RuntimeError, match="docker backend requested but unavailable: no daemon"):
        pick_backend("docker", docker_probe=lambda: "no daemon")
    assert isinstance(pick_backend("docker", docker_probe=lambda: None), DockerBackend)
    b = pick_backend("local", docker_probe=lambda: None)
    assert isinstance(b, LocalBackend)
    b.close()
    with pytest.raises(ValueError, match="unknown backend"):
        pick_backend("podman")


def test_docker_detection(monkeypatch):
    monkeypatch.setattr(docker_backend.shutil, "which", lambda name: None)
    assert docker_available() == "docker CLI not found on PATH"

    monkeypatch.setattr(docker_backend.shutil, "which", lambda name: "/usr/bin/docker")

    def daemon_down(cmd, **kw):
        assert cmd[:2] == ["/usr/bin/docker", "info"]
        return subprocess.CompletedProcess(cmd, 1, "", "Cannot connect to the Docker daemon at unix:///var/run/docker.sock")

    monkeypatch.setattr(docker_backend.subprocess, "run", daemon_down)
    assert "Cannot connect to the Docker daemon" in docker_available()

    monkeypatch.setattr(docker_backend.subprocess, "run",
                        lambda cmd, **kw: subprocess.CompletedProcess(cmd, 0, "27.1.1\n", ""))
    assert docker_available() is None


def test_no_daemon_on_this_machine_means_local_by_default():
    # no Docker here (the project's machines have none); auto must not pretend otherwise
    if docker_available() is None:
        pytest.skip("a Docker daemon is reachable here")
    b = pick_backend("auto")
    assert b.name == "local"
    b.close()
