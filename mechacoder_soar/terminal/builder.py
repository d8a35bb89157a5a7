"""Interpreting a task's Dockerfile against the sandbox root, without Docker.

Each instruction is honoured, approximated or reported as not honoured, never silently skipped:

* FROM: approximated by the host's read-only system directories.
* WORKDIR, ENV, ARG, SHELL: honoured (WORKDIR becomes a fresh writable directory).
* COPY/ADD from the build context: honoured into writable directories (a local tar is unpacked
  by ADD, as Docker does); ADD of a URL, `COPY --from` and destinations inside the read-only
  system directories are not honoured. For Terminal-Bench 1 the context is the task folder, so
  `tests/` and the reference solution are never copied in (they would leak the answer).
* RUN: `apt-get install` is honoured only if every package is already installed on the host,
  `pip install` if the packages are already importable by the test python, or after installing
  them into a per-task target directory (when allowed); `apt-get update`/cleanup are no-ops;
  everything else runs in the sandbox (no network) and is reported if it fails.
* USER is not honoured (everything runs as the sandbox's one user); CMD, ENTRYPOINT, EXPOSE and
  the like are ignored, as Terminal-Bench keeps the container idle.
"""
from __future__ import annotations

import glob
import os
import re
import shlex
import shutil
import subprocess
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from .dockerfile import CopySpec, Instruction, parse_copy, parse_dockerfile, parse_key_values, substitute
from .loader import TBTask
from .sandbox import DEFAULT_PATH, Mounts, SandboxConfig, run_in_sandbox

# never copied into the environment from a TB1 task folder: they are the grader and the answer
_TB1_PRIVATE = ("tests", "solution.sh", "solution.yaml", "run-tests.sh")


@dataclass
class BuildConfig:
    step_timeout_s: float = 120.0
    pip_install_missing: bool = True  # install missing pip packages into a per-task target dir
    pip_timeout_s: float = 300.0


@dataclass
class BuiltEnv:
    """A built environment: writable directories on the host and the image's settings."""

    root: Path  # host folder holding every writable graft under fs/
    workdir: str
    env: dict[str, str]
    grafts: dict[str, Path]  # sandbox path -> host dir (under root/fs)
    pydeps: Path
    steps: list[str] = field(default_factory=list)
    unhonoured: list[str] = field(default_factory=list)


class LocalBuilder:
    def __init__(self, sandbox: SandboxConfig, config: BuildConfig, tools_mounts: Mounts):
        self.sandbox = sandbox
        self.config = config
        self.tools_mounts = tools_mounts

    # --- writable directories -------------------------------------------------------------
    def _is_system(self, path: str) -> bool:
        top = Path(path).parts[1] if len(Path(path).parts) > 1 else ""
        return top in self.sandbox.system_dirs or top in ("proc", "dev", "sys", ".tb")

    def _graft_for(self, built: BuiltEnv, path: str, create: bool = True) -> Path | None:
        """Host path backing sandbox `path` (a directory), creating a graft if needed."""
        path = os.path.normpath(path)
        for dest in sorted(built.grafts, key=len, reverse=True):
            if path == dest or path.startswith(dest.rstrip("/") + "/"):
                host = built.grafts[dest] / os.path.relpath(path, dest)
                if create:
                    host.mkdir(parents=True, exist_ok=True)
                return host
        if self._is_system(path) or path == "/":
            return None
        host = built.root / "fs" / path.lstrip("/")
        if create:
            host.mkdir(parents=True, exist_ok=True)
        built.grafts[path] = host
        return host

    # --- the build ----------------------------------------------------------------------------
    def build(self, task: TBTask, root: Path) -> BuiltEnv:
        root.mkdir(parents=True, exist_ok=True)
        pydeps = root / "pydeps"
        pydeps.mkdir(exist_ok=True)
        built = BuiltEnv(root=root, workdir="/", env={"PATH": DEFAULT_PATH}, grafts={}, pydeps=pydeps)
        for d in (*self.sandbox.persistent_dirs, self.sandbox.home):
            self._graft_for(built, d)
        instructions = parse_dockerfile(task.dockerfile.read_text(encoding="utf-8"), str(task.dockerfile))
        args: dict[str, str] = {}
        shell = ["/bin/sh", "-c"]
        saw_workdir = False
        for ins in instructions:
            kw = ins.keyword
            where = f"line {ins.lineno}: {ins.text[:120]}"
            scope = {**args, **built.env}
            if kw == "FROM":
                built.steps.append(f"{where} -> approximated (the host's read-only system directories)")
            elif kw == "ARG":
                for k, v in parse_key_values(ins.args, "ARG").items():
                    args.setdefault(k, substitute(v, scope))
                built.steps.append(f"{where} -> honoured")
            elif kw == "ENV":
                for k, v in parse_key_values(ins.args, "ENV").items():
                    built.env[k] = substitute(v, scope)
                built.steps.append(f"{where} -> honoured")
            elif kw == "WORKDIR":
                p = substitute(ins.args.strip().strip('"'), scope)
                wd = p if p.startswith("/") else os.path.join(built.workdir, p)
                if self._graft_for(built, wd) is None:
                    self._unhonoured(built, where, "WORKDIR inside a read-only system directory")
                else:
                    built.workdir = os.path.normpath(wd)
                    saw_workdir = True
                    built.steps.append(f"{where} -> honoured")
            elif kw in ("COPY", "ADD"):
                self._copy(task, built, ins, where, scope)
            elif kw == "RUN":
                self._run(built, ins, where, shell)
            elif kw == "SHELL":
                form = ins.exec_form()
                if form:
                    shell = form
                    built.steps.append(f"{where} -> honoured")
                else:
                    self._unhonoured(built, where, "SHELL needs the JSON form")
            elif kw == "USER":
                self._unhonoured(built, where, "USER: everything runs as the sandbox's single user")
            else:  # CMD ENTRYPOINT EXPOSE LABEL VOLUME HEALTHCHECK STOPSIGNAL MAINTAINER ONBUILD
                built.steps.append(f"{where} -> ignored (no effect on an idle task environment)")
        if not saw_workdir:
            built.workdir = task.workdir or "/app"
            self._graft_for(built, built.workdir)
            built.steps.append(f"(no WORKDIR) -> using {built.workdir}")
        return built

    def _unhonoured(self, built: BuiltEnv, where: str, why: str) -> None:
        built.steps.append(f"{where} -> NOT honoured: {why}")
        built.unhonoured.append(f"{where}: {why}")

    # --- COPY / ADD ---------------------------------------------------------------------------
    def _copy(self, task: TBTask, built: BuiltEnv, ins: Instruction, where: str, scope: dict) -> None:
        try:
            spec: CopySpec = parse_copy(ins)
        except ValueError as e:
            self._unhonoured(built, where, str(e))
            return
        if "from" in spec.flags:
            self._unhonoured(built, where, "COPY --from needs another image")
            return
        ctx = task.build_context.resolve()
        dest = substitute(spec.dest, scope)
        dest_is_dir = dest.endswith("/") or len(spec.sources) > 1
        if not dest.startswith("/"):
            dest = os.path.join(built.workdir, dest)
        notes = []
        for src in spec.sources:
            src = substitute(src, scope)
            if re.match(r"^[a-z]+://", src):
                self._unhonoured(built, where, f"ADD of a URL ({src}) needs the network")
                return
            matches = sorted(glob.glob(str(ctx / src))) if any(c in src for c in "*?[") else [str(ctx / src)]
            for m in matches:
                mp = Path(m).resolve()
                if not (mp == ctx or ctx in mp.parents):
                    self._unhonoured(built, where, f"{src} is outside the build context")
                    return
                if not mp.exists():
                    self._unhonoured(built, where, f"{src} not found in the build context")
                    return
                is_dir_src = mp.is_dir()
                if is_dir_src or dest_is_dir or len(matches) > 1:
                    target_dir = self._graft_for(built, dest)
                    target = None if target_dir is None else (target_dir if is_dir_src else target_dir / mp.name)
                else:
                    parent = self._graft_for(built, os.path.dirname(dest) or "/")
                    target = None if parent is None else parent / os.path.basename(dest)
                if target is None:
                    self._unhonoured(built, where, f"destination {dest} is inside a read-only system directory")
                    return
                if ins.keyword == "ADD" and mp.is_file() and re.search(r"\.(tar|tar\.gz|tgz|tar\.bz2|tar\.xz)$", mp.name):
                    with tarfile.open(mp) as tf:
                        tf.extractall(target if target.is_dir() else target.parent, filter="data")
                elif is_dir_src:
                    skip = _TB1_PRIVATE if (task.format == "tb1" and mp == ctx) else ()
                    if skip:
                        notes.append("tests/ and the reference solution were not copied (they would leak the answer)")
                    _copytree(mp, target, skip)
                else:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(mp, target)
                    _chmod_flag(target, spec.flags.get("chmod"))
        if "chown" in spec.flags:
            notes.append("--chown ignored (one user in the sandbox)")
        built.steps.append(f"{where} -> honoured" + (f" ({'; '.join(notes)})" if notes else ""))

    # --- RUN ----------------------------------------------------------------------------------
    def _run(self, built: BuiltEnv, ins: Instruction, where: str, shell: list[str]) -> None:
        form = ins.exec_form()
        if form is not None:
            self._sandbox_run(built, form, where)
            return
        text = ins.args
        segments = split_shell_list(text)
        to_run: list[str] = []
        handled: list[str] = []
        for seg in segments:
            kind, pkgs = classify_segment(seg)
            if kind == "noop":
                handled.append(f"'{seg.strip()[:60]}' skipped (host packages are used as they are)")
            elif kind == "apt":
                missing = [p for p in pkgs if not _dpkg_installed(p)]
                if missing:
                    self._unhonoured(built, where, f"apt packages not installed on the host: {' '.join(missing)}")
                else:
                    handled.append(f"apt packages already present: {' '.join(pkgs) or '(none)'}")
            elif kind == "pip":
                handled.append(self._pip(built, where, pkgs))
            else:
                to_run.append(seg)
        if to_run:
            script = " && ".join(s.strip() for s in to_run)
            ok = self._sandbox_run(built, shell + [script], where, quiet=True)
            if ok:
                handled.append("ran in the sandbox")
        if any(handled):
            built.steps.append(f"{where} -> " + "; ".join(h for h in handled if h))

    def _sandbox_run(self, built: BuiltEnv, argv: list[str], where: str, quiet: bool = False) -> bool:
        mounts = Mounts(writable=dict(built.grafts), readonly=dict(self.tools_mounts.readonly))
        mounts.readonly["/.tb/pydeps"] = built.pydeps
        env = sandbox_env(built.env, self.sandbox.home)
        rc, out = run_in_sandbox(self.sandbox, mounts, env, built.workdir, argv, self.config.step_timeout_s)
        if rc != 0:
            why = "timed out" if rc is None else f"exit {rc}"
            self._unhonoured(built, where, f"RUN failed in the sandbox ({why}): {out.strip()[-300:]}")
            return False
        if not quiet:
            built.steps.append(f"{where} -> ran in the sandbox")
        return True

    def _pip(self, built: BuiltEnv, where: str, pkgs: list[str]) -> str:
        missing = [p for p in pkgs if not _pip_present(self.sandbox.python, p)]
        if not missing:
            return f"pip packages already present: {' '.join(pkgs)}"
        if not self.config.pip_install_missing:
            self._unhonoured(built, where, f"pip packages missing: {' '.join(missing)}")
            return ""
        r = subprocess.run(
            [self.sandbox.python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "--target", str(built.pydeps), *missing],
            capture_output=True, text=True, timeout=self.config.pip_timeout_s,
        )
        if r.returncode != 0:
            self._unhonoured(built, where, f"pip install failed for {' '.join(missing)}: {r.stderr.strip()[-300:]}")
            return ""
        return f"pip packages installed into the task's target dir: {' '.join(missing)}"


def sandbox_env(image_env: dict[str, str], home: str) -> dict[str, str]:
    """The environment inside the sandbox: the image's ENV, our tools first on PATH."""
    from .sandbox import PLUGIN_DIR, PYDEPS_DIR, TOOLS_DIR
    from .shims import PLUGIN_MODULE

    env = {"HOME": home, "USER": "root", "LANG": "C.UTF-8", "TERM": "xterm", "SHELL": "/bin/bash"}
    env.update(image_env)
    env["PATH"] = f"{TOOLS_DIR}:{env.get('PATH') or DEFAULT_PATH}"
    pp = env.get("PYTHONPATH", "")
    env["PYTHONPATH"] = ":".join(x for x in (pp, PYDEPS_DIR, PLUGIN_DIR) if x)
    plugins = [p for p in env.get("PYTEST_PLUGINS", "").split(",") if p]
    env["PYTEST_PLUGINS"] = ",".join(plugins + [PLUGIN_MODULE])
    # plugins of the host's environment are not the task's; the cache would be written into /app
    env.setdefault("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    env["PYTEST_ADDOPTS"] = (env.get("PYTEST_ADDOPTS", "") + " -p no:cacheprovider").strip()
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    return env


def _copytree(src: Path, dst: Path, skip: tuple[str, ...]) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for child in sorted(src.iterdir()):
        if child.name in skip:
            continue
        target = dst / child.name
        if child.is_symlink():
            if target.exists() or target.is_symlink():
                target.unlink()
            target.symlink_to(os.readlink(child))
        elif child.is_dir():
            shutil.copytree(child, target, symlinks=True, dirs_exist_ok=True)
        else:
            shutil.copy2(child, target)


def _chmod_flag(target: Path, mode: str | None) -> None:
    if mode:
        try:
            target.chmod(int(mode, 8))
        except ValueError:
            pass


def split_shell_list(text: str) -> list[str]:
    """Split at top-level `&&`, `;` and newlines, honouring quotes (not a full shell parser:
    enough to find the package-install commands inside a RUN)."""
    out, cur = [], []
    quote = None
    i = 0
    while i < len(text):
        c = text[i]
        if quote:
            cur.append(c)
            if c == "\\" and quote == '"' and i + 1 < len(text):
                cur.append(text[i + 1])
                i += 1
            elif c == quote:
                quote = None
        elif c in "'\"":
            quote = c
            cur.append(c)
        elif c == "\\" and i + 1 < len(text):
            cur.append(text[i:i + 2])
            i += 1
        elif text.startswith("&&", i):
            out.append("".join(cur))
            cur = []
            i += 1
        elif c in ";\n":
            out.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    out.append("".join(cur))
    return [s for s in out if s.strip()]


_APT_OPTS_WITH_ARG = {"-o", "-t", "--target-release", "-c"}


def classify_segment(seg: str) -> tuple[str, list[str]]:
    """("apt"|"pip"|"noop"|"other", packages)."""
    try:
        words = shlex.split(seg)
    except ValueError:
        return "other", []
    # drop leading env assignments and sudo (DEBIAN_FRONTEND=noninteractive apt-get ...)
    while words and (re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]) or words[0] in ("sudo", "env")):
        words = words[1:]
    if not words:
        return "other", []
    cmd = os.path.basename(words[0])
    if cmd in ("apt-get", "apt"):
        sub = next((w for w in words[1:] if not w.startswith("-")), "")
        if sub in ("update", "clean", "autoclean", "autoremove", "upgrade", "dist-upgrade"):
            return "noop", []
        if sub == "install":
            pkgs, skip = [], False
            for w in words[words.index("install") + 1:]:
                if skip:
                    skip = False
                    continue
                if w in _APT_OPTS_WITH_ARG:
                    skip = True
                    continue
                if w.startswith("-"):
                    continue
                pkgs.append(re.split(r"[=:]", w, maxsplit=1)[0])
            return "apt", pkgs
        return "other", []
    if cmd == "rm" and any(w.startswith("/var/lib/apt/lists") for w in words):
        return "noop", []
    pip_at = None
    if cmd in ("pip", "pip3") and "install" in words[1:2]:
        pip_at = 2
    elif re.match(r"python[0-9.]*$", cmd) and words[1:4] == ["-m", "pip", "install"]:
        pip_at = 4
    elif cmd == "uv" and words[1:3] == ["pip", "install"]:
        pip_at = 3
    if pip_at is not None:
        pkgs, skip = [], False
        for w in words[pip_at:]:
            if skip:
                skip = False
                continue
            if w in ("-r", "--requirement", "-c", "--constraint", "-i", "--index-url", "--extra-index-url",
                     "--target", "-t", "--prefix", "--root", "-e", "--editable"):
                if w in ("-r", "--requirement"):
                    return "other", []  # a requirements file: let it run (and fail visibly offline)
                skip = True
                continue
            if w.startswith("-"):
                continue
            pkgs.append(w)
        return "pip", pkgs
    return "other", []


def _dpkg_installed(pkg: str) -> bool:
    if not shutil.which("dpkg-query"):
        return shutil.which(pkg) is not None
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
    return r.returncode == 0 and "install ok installed" in r.stdout


def _pip_present(python: str, requirement: str) -> bool:
    name = re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0]
    code = (
        "import importlib.metadata as m, sys\n"
        "try:\n    m.distribution(sys.argv[1]); print('yes')\nexcept Exception:\n    print('no')\n"
    )
    r = subprocess.run([python, "-c", code, name], capture_output=True, text=True, timeout=60)
    return r.stdout.strip() == "yes"


