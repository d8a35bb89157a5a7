"""What the Docker-free backend cannot reproduce, said with the reason.

Two kinds of evidence. Before anything runs, the task's files: a docker-compose service besides
the task's own container (a database, a web server the tests query), a privileged container or
/dev/kvm (a VM), a GPU reservation or CUDA base image, a TB2 task that allows the internet, a
parser other than pytest. After the reference solution ran and failed: build steps that could
not be honoured, or output showing the network was needed. Such a task is reported as not
runnable here; it is never counted as a failed solution.
"""
from __future__ import annotations

import re

import yaml

from .loader import TBTask
from .result import TrialResult

# the Terminal-Bench 1 harness names the task's own container `client` in docker-compose.yaml
_OWN_SERVICES = ("client", "main", "default")
_VM_PACKAGES = re.compile(r"\bqemu-system|\bqemu-kvm\b|\bvirtualbox\b|\blibvirt-daemon")
_GPU_IMAGES = re.compile(r"^\s*FROM\s+(--\S+\s+)*\S*(nvidia/cuda|pytorch/pytorch:\S*cuda|nvcr\.io/)", re.I | re.M)
# a build that removes or moves the image's own Python packages: the tests here run with the
# sandbox's python, so breaking (or the attempt repairing) the image's python cannot be reproduced
_BREAKS_PYTHON = re.compile(r"^\s*RUN\b[^\n]*\b(rm|mv)\s[^\n]*(/usr/(local/)?lib/python3[^\s]*|site-packages)", re.M)
_NETWORK_SIGNS = (
    "Could not resolve host", "Temporary failure in name resolution", "Name or service not known",
    "Network is unreachable", "Could not resolve '", "getaddrinfo failed", "tb-local: no network to install",
)


def static_reason(task: TBTask) -> str | None:
    """Why this task cannot run without Docker, from its files alone; None if nothing says so."""
    if task.format == "tb1" and task.parser_name != "pytest":
        return f"its results parser {task.parser_name!r} is not supported (only pytest)"
    if task.extra.get("allow_internet"):
        return "needs network: task.toml allows the internet"
    compose = _compose(task)
    services = compose.get("services") if isinstance(compose.get("services"), dict) else {}
    others = sorted(n for n in services if n not in _OWN_SERVICES)
    if others and len(services) > 1:
        return f"needs a service container besides its own: {', '.join(others)} (docker-compose.yaml)"
    for name, svc in services.items():
        if not isinstance(svc, dict):
            continue
        if svc.get("privileged") or "/dev/kvm" in str(svc.get("devices", "")):
            return f"needs a VM or privileged container (service {name!r}: privileged or /dev/kvm)"
        if "gpu" in str(svc.get("deploy", "")).lower() or svc.get("runtime") == "nvidia":
            return f"needs a GPU (service {name!r} reserves one)"
    text = _dockerfile_text(task)
    if _GPU_IMAGES.search(text):
        return "needs a GPU (a CUDA base image)"
    m = _VM_PACKAGES.search(text)
    if m:
        return f"needs a VM ({m.group(0).strip()} in the Dockerfile)"
    m = _BREAKS_PYTHON.search(text)
    if m:
        return (f"changes the image's own Python installation ({m.group(2)}), which the sandbox does not "
                "use: its tests run with the sandbox's python")
    return None


def runtime_reason(ref: TrialResult) -> str | None:
    """Why a failed reference run says more about this backend than about the solution."""
    if ref.error and ref.error.startswith(("local backend unavailable", "the image could not be built")):
        return ref.error
    # only what the solution printed: stock test runners try to download uv and fail harmlessly
    text = ref.script_output
    for sign in _NETWORK_SIGNS:
        at = text.find(sign)
        if at >= 0:
            line = text[text.rfind("\n", 0, at) + 1:].split("\n", 1)[0].strip()
            return f"needs network: {line[:200]}"
    if ref.unhonoured_steps:
        return f"its image could not be reproduced: {ref.unhonoured_steps[0][:300]}"
    return None


def _compose(task: TBTask) -> dict:
    base = task.path if task.format == "tb1" else task.build_context  # TB2 keeps it in environment/
    for name in ("docker-compose.yaml", "docker-compose.yml"):
        p = base / name
        if p.exists():
            try:
                data = yaml.safe_load(p.read_text(encoding="utf-8"))
            except yaml.YAMLError:
                return {}
            return data if isinstance(data, dict) else {}
    return {}


def _dockerfile_text(task: TBTask) -> str:
    try:
        return task.dockerfile.read_text(encoding="utf-8")
    except OSError:
        return ""
