"""Interpreting a task's Dockerfile against the sandbox root, without Docker.

The image is a folder of the task's own, bound at / in the sandbox (`rootfs`: /app, /root, /opt,
anything the build creates outside the system directories), plus, where the kernel allows
overlayfs in a user namespace, one overlay per system directory (/usr, /etc, /var): the host's
directory at the bottom, the task's unpacked apt packages above it, the build's own changes on
top. Trials get a copy of `rootfs` and a fresh upper layer, so nothing a trial does reaches the
build or the host.

Each instruction is honoured, approximated or reported as not honoured, never silently skipped:

* FROM: approximated by the host's system directories; a Terminal-Bench base image's WORKDIR
  (/app) is the starting working directory, as in the image.
* WORKDIR, ENV, ARG, SHELL: honoured (WORKDIR creates the directory).
* COPY/ADD from the build context or a heredoc (`COPY <<EOT /path`): honoured anywhere in the
  image (a local tar is unpacked by ADD, as Docker does); ADD of a URL and `COPY --from` are not.
  For Terminal-Bench 1 the context is the task folder, so `tests/` and the reference solution
  are never copied in (they would leak the answer).
* RUN: `apt-get install` of packages the host lacks fetches and unpacks them into a layer of the
  task's (see `apt_layer`); `pip install` is honoured if the packages are already importable by
  the test python, or after installing them into a per-task target directory (when allowed);
  `apt-get update`/cleanup are no-ops; everything else (heredoc scripts included) runs in the
  sandbox (no network) and is reported if it fails.
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

from .apt_layer import CONTROL_DIR, AptError, AptLayer, alternatives, host_has_package
from .dockerfile import CopySpec, Instruction, parse_copy, parse_dockerfile, parse_key_values, substitute
from .loader import TBTask
from .shims import APT_DIR
from .sandbox import DEFAULT_PATH, Mounts, Overlay, SandboxConfig, overlays_work, run_in_sandbox

# never copied into the environment from a TB1 task folder: they are the grader and the answer
_TB1_PRIVATE = ("tests", "solution.sh", "solution.yaml", "run-tests.sh")
# base images whose WORKDIR is /app (Terminal-Bench's own); others start at /, as Docker does
_APP_WORKDIR_IMAGES = re.compile(r"(^|/)t-bench/|laude-institute/")
_NO_IMAGE_PATH = ("proc", "dev", "sys", ".tb")


@dataclass
class BuildConfig:
    step_timeout_s: float = 120.0
    pip_install_missing: bool = True  # install missing pip packages into a per-task target dir
    pip_timeout_s: float = 300.0
    apt_fetch_missing: bool = True  # fetch and layer apt packages the host lacks (needs overlays)


@dataclass
class BuiltEnv:
    """A built image: the task's root folder, its system-directory layers and its settings."""

    root: Path  # host folder holding everything below
    workdir: str
    env: dict[str, str]
    rootfs: Path  # bound at / in the sandbox
    pydeps: Path
    uppers: dict[str, Path] = field(default_factory=dict)  # "/usr" -> the build's changes to it
    pkgroot: Path | None = None  # the task's unpacked apt packages (usr/, etc/, ...)
    steps: list[str] = field(default_factory=list)
    unhonoured: list[str] = field(default_factory=list)

    @property
    def apt_list(self) -> Path:
        """The packages layered into this image, one per line (mounted at shims.APT_DIR)."""
        return self.root / "apt" / "packages"

    def overlays(self, scratch: Path) -> dict[str, Overlay]:
        """Overlays of the system dirs over this image, writing into `scratch` (a build step's or
        a trial's own folder); the build's upper becomes a read-only layer for a trial. A trial
        only overlays the system dirs the image changed: the others stay read-only host binds,
        which is also what keeps an attempt's `rm -rf /` from whiting out all of /usr."""
        out = {}
        for dest, upper in self.uppers.items():
            name = dest.strip("/")
            changed = any(upper.iterdir()) or (self.pkgroot is not None and (self.pkgroot / name).is_dir())
            if scratch != self.root and not changed:
                continue
            layers = [] if scratch == self.root else [upper]
            if self.pkgroot is not None and (self.pkgroot / name).is_dir():
                layers.append(self.pkgroot / name)
            own = upper if scratch == self.root else scratch / "upper" / name
            ov = Overlay(layers=layers, upper=own, work=scratch / "work" / name, merged=scratch / "merged" / name)
            for d in (ov.upper, ov.work, ov.merged):
                d.mkdir(parents=True, exist_ok=True)
            out[dest] = ov
        return out


class LocalBuilder:
    def __init__(self, sandbox: SandboxConfig, config: BuildConfig, tools_mounts: Mounts,
                 apt: AptLayer | None = None):
        self.sandbox = sandbox
        self.config = config
        self.tools_mounts = tools_mounts
        self._apt = apt
        self.overlays_ok = sandbox.use_overlays and overlays_work() is None

    # --- where an image path lives on the host ---------------------------------------------
    def _host_path(self, built: BuiltEnv, path: str) -> Path | None:
        """Host path backing image `path` (for writing), or None where the image cannot be written
        (a system dir without overlays, /proc and the like)."""
        path = os.path.normpath(path)
        parts = Path(path).parts[1:]
        if not parts:
            return built.rootfs
        top = parts[0]
        if top in _NO_IMAGE_PATH:
            return None
        host_top = Path("/") / top
        if top in self.sandbox.system_dirs:
            if host_top.is_symlink():  # merged /usr: /bin -> usr/bin
                return self._host_path(built, os.path.join("/", os.readlink(host_top), *parts[1:]))
            upper = built.uppers.get(str(host_top))
            return None if upper is None else upper.joinpath(*parts[1:])
        return built.rootfs.joinpath(*parts)

    def _is_dir_in_image(self, built: BuiltEnv, path: str) -> bool:
        host = self._host_path(built, path)
        if host is not None and host.is_dir():
            return True
        top = (Path(path).parts[1:2] or ("",))[0]
        if top in self.sandbox.system_dirs:
            layered = built.pkgroot is not None and (built.pkgroot / path.lstrip("/")).is_dir()
            return layered or Path(path).is_dir()
        return False

    def _dir(self, built: BuiltEnv, path: str) -> Path | None:
        host = self._host_path(built, path)
        if host is not None:
            host.mkdir(parents=True, exist_ok=True)
        return host

    # --- the build ----------------------------------------------------------------------------
    def build(self, task: TBTask, root: Path) -> BuiltEnv:
        root.mkdir(parents=True, exist_ok=True)
        (root / "pydeps").mkdir(exist_ok=True)
        (root / "apt").mkdir(exist_ok=True)
        (root / "apt" / "packages").touch()
        built = BuiltEnv(root=root, workdir="/", env={"PATH": DEFAULT_PATH}, rootfs=root / "fs", pydeps=root / "pydeps")
        built.rootfs.mkdir(exist_ok=True)
        if self.overlays_ok:
            for name in self.sandbox.system_dirs:
                host = Path("/") / name
                if host.is_dir() and not host.is_symlink():
                    built.uppers[str(host)] = root / "upper" / name
                    built.uppers[str(host)].mkdir(parents=True, exist_ok=True)
        else:
            built.steps.append("(no overlayfs in a user namespace here) -> system directories stay read-only")
        for d in (*self.sandbox.persistent_dirs, self.sandbox.home, "/tmp"):
            self._dir(built, d)
        instructions = parse_dockerfile(task.dockerfile.read_text(encoding="utf-8"), str(task.dockerfile))
        state = {"args": {}, "shell": ["/bin/sh", "-c"], "saw_workdir": False}
        for ins in instructions:
            self._instruction(task, built, ins, state)
        if not state["saw_workdir"] and built.workdir == "/":
            built.workdir = task.workdir or "/app"
            self._dir(built, built.workdir)
            built.steps.append(f"(no WORKDIR) -> using {built.workdir}")
        return built

    def _instruction(self, task: TBTask, built: BuiltEnv, ins: Instruction, state: dict) -> None:
        kw = ins.keyword
        where = f"line {ins.lineno}: {ins.text[:120]}"
        scope = {**state["args"], **built.env}
        if kw == "FROM":
            image = ins.args.split()[0] if ins.args.split() else ""
            if _APP_WORKDIR_IMAGES.search(image):
                built.workdir = "/app"
                self._dir(built, "/app")
            built.steps.append(f"{where} -> approximated (the host's system directories; WORKDIR {built.workdir})")
        elif kw == "ARG":
            for k, v in parse_key_values(ins.args, "ARG").items():
                state["args"].setdefault(k, substitute(v, scope))
            built.steps.append(f"{where} -> honoured")
        elif kw == "ENV":
            for k, v in parse_key_values(ins.args, "ENV").items():
                built.env[k] = substitute(v, scope)
            built.steps.append(f"{where} -> honoured")
        elif kw == "WORKDIR":
            p = substitute(ins.args.strip().strip('"'), scope)
            wd = p if p.startswith("/") else os.path.join(built.workdir, p)
            if self._dir(built, wd) is None:
                self._unhonoured(built, where, "WORKDIR inside a read-only system directory")
            else:
                built.workdir = os.path.normpath(wd)
                state["saw_workdir"] = True
                built.steps.append(f"{where} -> honoured")
        elif kw in ("COPY", "ADD"):
            self._copy(task, built, ins, where, scope)
        elif kw == "RUN":
            self._run(built, ins, where, state["shell"])
        elif kw == "SHELL":
            form = ins.exec_form()
            if form:
                state["shell"] = form
                built.steps.append(f"{where} -> honoured")
            else:
                self._unhonoured(built, where, "SHELL needs the JSON form")
        elif kw == "USER":
            self._unhonoured(built, where, "USER: everything runs as the sandbox's single user")
        else:  # CMD ENTRYPOINT EXPOSE LABEL VOLUME HEALTHCHECK STOPSIGNAL MAINTAINER ONBUILD
            built.steps.append(f"{where} -> ignored (no effect on an idle task environment)")

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
        dest = substitute(spec.dest, scope)
        if not dest.startswith("/"):
            dest = os.path.join(built.workdir, dest)
        # a directory destination: "dir/", several sources, or a directory already in the image
        dest_is_dir = spec.dest.endswith("/") or len(spec.sources) > 1 or self._is_dir_in_image(built, dest)
        notes: list[str] = []
        for src in spec.sources:
            doc = ins.heredoc(src)
            if doc is not None:
                body = substitute(doc.body, scope) if doc.expand else doc.body
                why = self._place_text(built, dest, dest_is_dir, doc.name, body, spec.flags.get("chmod"))
            else:
                why = self._copy_source(task, built, ins, substitute(src, scope), dest, dest_is_dir, spec, notes)
            if why:
                self._unhonoured(built, where, why)
                return
        if "chown" in spec.flags:
            notes.append("--chown ignored (one user in the sandbox)")
        built.steps.append(f"{where} -> honoured" + (f" ({'; '.join(dict.fromkeys(notes))})" if notes else ""))

    def _place_text(self, built: BuiltEnv, dest: str, dest_is_dir: bool, name: str, body: str,
                    chmod: str | None) -> str | None:
        parent = self._dir(built, dest if dest_is_dir else os.path.dirname(dest) or "/")
        if parent is None:
            return f"destination {dest} is inside a read-only system directory"
        target = parent / name if dest_is_dir else parent / os.path.basename(dest)
        target.write_text(body, encoding="utf-8")
        _chmod_flag(target, chmod)
        return None

    def _copy_source(self, task: TBTask, built: BuiltEnv, ins: Instruction, src: str, dest: str,
                     dest_is_dir: bool, spec: CopySpec, notes: list[str]) -> str | None:
        ctx = task.build_context.resolve()
        if re.match(r"^[a-z]+://", src):
            return f"ADD of a URL ({src}) needs the network"
        matches = sorted(glob.glob(str(ctx / src))) if any(c in src for c in "*?[") else [str(ctx / src)]
        for m in matches:
            mp = Path(m).resolve()
            if not (mp == ctx or ctx in mp.parents):
                return f"{src} is outside the build context"
            if not mp.exists():
                return f"{src} not found in the build context"
            is_dir_src = mp.is_dir()
            if is_dir_src or dest_is_dir or len(matches) > 1:
                target_dir = self._dir(built, dest)
                target = None if target_dir is None else (target_dir if is_dir_src else target_dir / mp.name)
            else:
                parent = self._dir(built, os.path.dirname(dest) or "/")
                target = None if parent is None else parent / os.path.basename(dest)
            if target is None:
                return f"destination {dest} is inside a read-only system directory"
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
        return None

    # --- RUN ----------------------------------------------------------------------------------
    def _run(self, built: BuiltEnv, ins: Instruction, where: str, shell: list[str]) -> None:
        form = ins.exec_form()
        if form is not None:
            self._sandbox_run(built, form, where)
            return
        to_run: list[str] = []
        handled: list[str] = []
        for seg in split_shell_list(ins.shell_script()):
            kind, pkgs = classify_segment(seg)
            if kind == "noop":
                handled.append(f"'{seg.strip()[:60]}' skipped (host packages are used as they are)")
            elif kind == "apt":
                handled.append(self._apt_install(built, where, pkgs))
            elif kind == "pip":
                handled.append(self._pip(built, where, pkgs))
            else:
                to_run.append(seg)
        if ins.heredocs:
            # a heredoc script keeps its shape (loops, functions); the installs it holds were done
            # above, so inside it apt-get and pip are stand-ins that say so
            ok = self._sandbox_run(built, shell + [ins.shell_script()], where, quiet=True, build_shims=True)
            if ok:
                handled.append("script ran in the sandbox")
        elif to_run:
            script = " && ".join(s.strip() for s in to_run)
            if self._sandbox_run(built, shell + [script], where, quiet=True):
                handled.append("ran in the sandbox")
        if any(handled):
            built.steps.append(f"{where} -> " + "; ".join(h for h in handled if h))

    def _sandbox_run(self, built: BuiltEnv, argv: list[str], where: str, quiet: bool = False,
                     build_shims: bool = False) -> bool:
        mounts = Mounts(readonly=dict(self.tools_mounts.readonly), root=built.rootfs,
                        overlays=built.overlays(built.root))
        mounts.readonly["/.tb/pydeps"] = built.pydeps
        mounts.readonly[APT_DIR] = built.apt_list.parent
        env = sandbox_env(built.env, self.sandbox.home)
        if build_shims:
            mounts.readonly[BUILD_SHIM_DIR] = write_build_shims(built.root / "build-bin")
            env["PATH"] = f"{BUILD_SHIM_DIR}:{env['PATH']}"
        rc, out = run_in_sandbox(self.sandbox, mounts, env, built.workdir, argv, self.config.step_timeout_s)
        if rc != 0:
            why = "timed out" if rc is None else f"exit {rc}"
            self._unhonoured(built, where, f"RUN failed in the sandbox ({why}): {out.strip()[-300:]}")
            return False
        if not quiet:
            built.steps.append(f"{where} -> ran in the sandbox")
        return True

    def _apt_install(self, built: BuiltEnv, where: str, pkgs: list[str]) -> str:
        missing = [p for p in pkgs if not host_has_package(p)]
        if not missing:
            return f"apt packages already present: {' '.join(pkgs) or '(none)'}"
        if not (self.overlays_ok and self.config.apt_fetch_missing):
            why = "no overlayfs here to layer them" if not self.overlays_ok else "fetching is turned off"
            self._unhonoured(built, where, f"apt packages not installed on the host: {' '.join(missing)} ({why})")
            return ""
        try:
            self._apt = self._apt or AptLayer()
            roots = self._apt.fetch(missing)
        except AptError as e:
            self._unhonoured(built, where, f"apt packages not installed on the host: {' '.join(missing)} ({e})")
            return ""
        for r in roots:
            self._layer_package(built, r)
        with open(built.apt_list, "a", encoding="utf-8") as f:  # for the apt stand-in in trials
            f.write("".join(f"{p}\n" for p in missing))
        extra = len(roots) - len(missing)
        return (f"apt packages fetched and layered: {' '.join(missing)}"
                + (f" (+{extra} dependencies)" if extra > 0 else ""))

    def _layer_package(self, built: BuiltEnv, pkg_root: Path) -> None:
        """Merge one unpacked package into the image: system dirs into the read-only package
        layer (hard links into the cache where possible), anything else into rootfs (copies,
        since rootfs is writable and the cache must stay intact)."""
        built.pkgroot = built.pkgroot or built.root / "pkgroot"
        for top in sorted(pkg_root.iterdir()):
            if top.name == CONTROL_DIR:
                continue
            host_top = Path("/") / top.name
            if host_top.is_symlink():  # a pre-merged-usr path: bin/ -> usr/bin
                dest, link = built.pkgroot / os.readlink(host_top).lstrip("/"), True
            elif str(host_top) in built.uppers:
                dest, link = built.pkgroot / top.name, True
            else:
                dest, link = built.rootfs / top.name, False
            if top.is_dir() and not top.is_symlink():
                shutil.copytree(top, dest, symlinks=True, dirs_exist_ok=True,
                                copy_function=_link_or_copy if link else shutil.copy2)
        for link, target in alternatives(pkg_root):
            host = self._host_path(built, link)
            if os.path.lexists(link) or host is None or not str(host).startswith(str(built.root / "upper")):
                continue  # the host already has it, or it is not a system path
            at = built.pkgroot / link.lstrip("/")
            at.parent.mkdir(parents=True, exist_ok=True)
            if not os.path.lexists(at):
                at.symlink_to(target)

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


def _link_or_copy(src: str, dst: str) -> None:
    try:
        if os.path.lexists(dst):
            os.unlink(dst)
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


BUILD_SHIM_DIR = "/.tb/build-bin"
_BUILD_SHIM = """#!/bin/sh
echo "tb-local: '$(basename "$0") $*' skipped (the builder honoured this install before the script ran)" >&2
exit 0
"""


def write_build_shims(folder: Path) -> Path:
    """apt-get/apt/pip stand-ins for heredoc RUN scripts, whose installs the builder already did."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("apt-get", "apt", "pip", "pip3"):
        p = folder / name
        p.write_text(_BUILD_SHIM)
        p.chmod(0o755)
    return folder


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


def _pip_present(python: str, requirement: str) -> bool:
    name = re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0]
    code = (
        "import importlib.metadata as m, sys\n"
        "try:\n    m.distribution(sys.argv[1]); print('yes')\nexcept Exception:\n    print('no')\n"
    )
    r = subprocess.run([python, "-c", code, name], capture_output=True, text=True, timeout=60)
    return r.stdout.strip() == "yes"


