"""apt packages for a task's build, without installing anything on the host.

A Dockerfile's `apt-get install X` is honoured by asking the host's own apt which packages X
needs beyond what the host already has installed (its dpkg status), downloading those .debs with
apt into a cache of ours, unpacking each one with `dpkg -x` into its own cached root, and handing
the roots to the builder, which layers them under the sandbox's system directories. apt's package
lists live in our cache too (`apt-get update` with `Dir::State::Lists` pointed there), so the
host's apt state is read, never written. Maintainer scripts do not run: packages whose files
alone do the job (compilers, CLI tools, libraries) work; daemons that need set-up may not.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..settings import cache_dir


class AptError(RuntimeError):
    """A package could not be fetched or unpacked; the message says which and why."""


@dataclass
class AptConfig:
    cache_dir: Path = field(default_factory=lambda: cache_dir() / "apt")
    lists_max_age_s: float = 24 * 3600.0  # our copy of the package lists is refreshed after this
    timeout_s: float = 600.0
    install_recommends: bool = False  # as `--no-install-recommends`, the common Dockerfile idiom


_INST = re.compile(r"^Inst (\S+) (?:\[[^\]]*\] )?\((\S+) .*\[([^\]]+)\]\)", re.M)


class AptLayer:
    def __init__(self, config: AptConfig | None = None):
        self.config = config or AptConfig()
        c = self.config.cache_dir
        self.archives = c / "archives"
        self.lists = c / "lists"
        self.roots = c / "roots"
        for d in (self.archives / "partial", self.lists / "partial", self.roots):
            d.mkdir(parents=True, exist_ok=True)

    def _apt(self, *args: str, timeout: float | None = None) -> subprocess.CompletedProcess:
        exe = shutil.which("apt-get")
        if not exe:
            raise AptError("apt-get not found: this host has no Debian package tools")
        opts = ["-o", f"Dir::Cache={self.config.cache_dir}", "-o", f"Dir::Cache::archives={self.archives}",
                "-o", f"Dir::State::Lists={self.lists}", "-o", "Debug::NoLocking=1",
                "-o", "APT::Sandbox::User=root", "-o", "Acquire::Retries=2"]
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C"}
        try:
            return subprocess.run([exe, "-q", "-y", *opts, *args], capture_output=True, text=True,
                                  timeout=timeout or self.config.timeout_s, env=env)
        except subprocess.TimeoutExpired as e:
            raise AptError(f"apt-get {' '.join(args[:2])} timed out after {e.timeout:.0f}s") from e

    def _fresh_lists(self) -> None:
        stamp = self.lists / ".updated"
        if stamp.exists() and time.time() - stamp.stat().st_mtime < self.config.lists_max_age_s:
            return
        r = self._apt("update")
        if r.returncode != 0 or "Failed to fetch" in r.stdout + r.stderr:
            raise AptError(f"apt-get update failed (is the Debian mirror reachable?): {(r.stderr or r.stdout).strip()[-300:]}")
        stamp.touch()

    def plan(self, packages: list[str]) -> list[tuple[str, str, str]]:
        """(name, version, arch) of every package that installing `packages` on this host would
        add or change: the requested ones and the dependencies the host lacks."""
        self._fresh_lists()
        rec = "--install-recommends" if self.config.install_recommends else "--no-install-recommends"
        r = self._apt("install", "-s", rec, *packages)
        if r.returncode != 0:
            raise AptError(f"apt cannot resolve {' '.join(packages)}: {(r.stderr or r.stdout).strip()[-300:]}")
        return [(m.group(1), m.group(2), m.group(3).split()[-1]) for m in _INST.finditer(r.stdout)]

    def fetch(self, packages: list[str]) -> list[Path]:
        """Download (once) and unpack (once) what `packages` need; the unpacked roots, in order."""
        plan = self.plan(packages)
        if not plan:
            return []
        missing = [p for p in plan if self._deb(p) is None]
        if missing:
            rec = "--install-recommends" if self.config.install_recommends else "--no-install-recommends"
            r = self._apt("install", "--download-only", rec, *packages)
            if r.returncode != 0:
                raise AptError(f"downloading {' '.join(packages)} failed: {(r.stderr or r.stdout).strip()[-300:]}")
        roots = []
        for p in plan:
            deb = self._deb(p)
            if deb is None:
                raise AptError(f"{p[0]} {p[1]} was not downloaded into {self.archives}")
            roots.append(self._unpack(deb))
        return roots

    def _deb(self, p: tuple[str, str, str]) -> Path | None:
        name, version, arch = p
        f = self.archives / f"{name}_{version.replace(':', '%3a')}_{arch}.deb"
        if f.exists():
            return f
        alt = self.archives / f"{name}_{version.replace(':', '%3a')}_all.deb"
        return alt if alt.exists() else None

    def _unpack(self, deb: Path) -> Path:
        root = self.roots / deb.stem
        if root.is_dir():
            return root
        tmp = Path(tempfile.mkdtemp(prefix=f".{deb.stem[:40]}-", dir=self.roots))
        r = subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp)], capture_output=True, text=True, timeout=300)
        if r.returncode == 0:  # the maintainer scripts, read (never run) for the alternatives they register
            r = subprocess.run(["dpkg-deb", "-e", str(deb), str(tmp / CONTROL_DIR)], capture_output=True, text=True,
                               timeout=60)
        if r.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            raise AptError(f"dpkg-deb -x {deb.name} failed: {r.stderr.strip()[-300:]}")
        try:
            tmp.rename(root)  # atomic: a concurrent build sees either nothing or the whole root
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)  # another process won the race
        return root


CONTROL_DIR = "DEBIAN"  # inside an unpacked root: the package's control files, not image content
_ALTERNATIVE = re.compile(r"update-alternatives\s+(?:--\S+\s+)*--install\s+(\S+)\s+\S+\s+(\S+)\s+\d+"
                          r"((?:\s+--slave\s+\S+\s+\S+\s+\S+)*)")
_SLAVE = re.compile(r"--slave\s+(\S+)\s+\S+\s+(\S+)")


def alternatives(root: Path) -> list[tuple[str, str]]:
    """(link, target) pairs the package's postinst registers with update-alternatives: a command
    such as /usr/bin/figlet exists only as such a link, which dpkg -x alone does not create."""
    try:
        text = (root / CONTROL_DIR / "postinst").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    text = text.replace("\\\n", " ")
    out = []
    for m in _ALTERNATIVE.finditer(text):
        out.append((m.group(1), m.group(2)))
        out += [(s.group(1), s.group(2)) for s in _SLAVE.finditer(m.group(3))]
    return [(link, target) for link, target in out if "$" not in link + target and link.startswith("/")]


def host_has_package(pkg: str) -> bool:
    """Installed on the host (dpkg status), or, without dpkg, a command of that name exists."""
    if not shutil.which("dpkg-query"):
        return shutil.which(pkg) is not None
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
    return r.returncode == 0 and "install ok installed" in r.stdout
