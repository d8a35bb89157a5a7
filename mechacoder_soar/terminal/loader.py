"""Loading Terminal-Bench task folders (TB1 `task.yaml` or TB2/Harbor `task.toml`) into `TBTask`.

A `TBTask` knows where everything is; it reads no test file into memory, and `to_task()` hands
the loop only the instruction, so tests and reference solutions never leak to a proposer.
"""
from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import ValidationError

from .dockerfile import DockerfileError, final_workdir, parse_dockerfile
from .models import SolutionCommand, TB1TaskConfig, TB2TaskConfig, describe_validation_error


DEFAULT_TB1_RUN_TESTS = Path(__file__).resolve().parent / "tb1_default_run_tests.sh"


log = logging.getLogger(__name__)


class TBTaskError(ValueError):
    """A task folder that cannot be used; the message names the file and what is wrong."""


@dataclass
class TBTask:
    id: str
    path: Path
    format: Literal["tb1", "tb2"]
    instruction: str
    difficulty: str
    category: str
    tags: list[str]
    agent_timeout_s: float
    test_timeout_s: float
    dockerfile: Path
    build_context: Path
    tests_dir: Path
    # TB1: run-tests.sh (copied to /tests/run-tests.sh); TB2: tests/test.sh.
    test_script: Path
    parser_name: str = "pytest"
    run_tests_in_same_shell: bool = False
    solution_path: Path | None = None  # solution.sh | solution.yaml | solution/solve.sh
    solution_dir: Path | None = None  # TB2: solution/ (mounted at /solution for the reference)
    workdir: str = "/app"
    has_compose: bool = False
    extra: dict = field(default_factory=dict)

    def to_task(self):
        """The loop's view of this task: instruction only, never tests or solutions."""
        from ..domain import Task

        return Task(
            id=self.id,
            kind="terminal",
            instruction=self.instruction,
            meta={
                "path": str(self.path),
                "format": self.format,
                "difficulty": self.difficulty,
                "category": self.category,
                "tags": list(self.tags),
                "workdir": self.workdir,
            },
        )

    def reference_script(self) -> str:
        """The reference solution as an attempt script (`solution.yaml` keystrokes replayed as
        script lines, see `keystrokes_to_script`)."""
        if self.solution_path is None:
            raise TBTaskError(f"{self.path}: no reference solution (solution.sh, solution.yaml or solution/solve.sh)")
        if self.format == "tb2":
            return "bash /solution/solve.sh\n"
        if self.solution_path.suffix == ".yaml":
            return keystrokes_to_script(load_solution_yaml(self.solution_path))
        return self.solution_path.read_text(encoding="utf-8")


def load_solution_yaml(path: Path) -> list[SolutionCommand]:
    data = _read_yaml(path, list, "a list of {command: ...} entries")
    out = []
    for i, item in enumerate(data):
        try:
            out.append(SolutionCommand.model_validate(item))
        except ValidationError as e:
            raise TBTaskError(describe_validation_error(f"{path}[{i}]", e)) from e
    return out


def keystrokes_to_script(cmds: list[SolutionCommand]) -> str:
    """Keystrokes replayed as a non-interactive script: each entry's text, then a newline when
    `append_enter` is set (so an entry without it continues on the next one's line). Input that
    Terminal-Bench types into an interactive program (a REPL, an editor) has no equivalent
    here; timing fields (min_timeout_sec, block) are moot in a sequential script."""
    stream = "".join(c.command + ("\n" if c.append_enter else "") for c in cmds)
    return stream if stream.endswith("\n") else stream + "\n"


def _read_yaml(path: Path, kind: type, what: str):
    """The YAML document at `path`, which must be a `kind`; a TBTaskError naming the file otherwise."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise TBTaskError(f"{path}: not valid YAML ({e})") from e
    if not isinstance(data, kind):
        raise TBTaskError(f"{path}: expected {what}, got {type(data).__name__}")
    return data


def _require(path: Path, what: str) -> Path:
    if not path.exists():
        raise TBTaskError(f"{path.parent}: missing {what} ({path.name})")
    return path


def _workdir(dockerfile: Path) -> str:
    try:
        return final_workdir(parse_dockerfile(dockerfile.read_text(encoding="utf-8"), str(dockerfile)))
    except DockerfileError as e:
        raise TBTaskError(f"{dockerfile}: {e}") from e


def _tb1_build(root: Path) -> tuple[Path, Path]:
    """The Dockerfile and build context of a TB1 task: ./Dockerfile, or what docker-compose.yaml's
    `client` service builds (`build: {context: client, dockerfile: Dockerfile}`)."""
    if (root / "Dockerfile").exists():
        return root / "Dockerfile", root
    for name in ("docker-compose.yaml", "docker-compose.yml"):
        if not (root / name).exists():
            continue
        compose = _read_yaml(root / name, dict, "a mapping of fields")
        build = ((compose.get("services") or {}).get("client") or {}).get("build")
        if isinstance(build, str):
            build = {"context": build}
        if isinstance(build, dict):
            context = (root / str(build.get("context", "."))).resolve()
            dockerfile = context / str(build.get("dockerfile", "Dockerfile"))
            if context != root.resolve() and root.resolve() not in context.parents:
                raise TBTaskError(f"{root / name}: the client's build context {context} is outside the task folder")
            return _require(dockerfile, f"the Dockerfile named by {name}"), context
    return _require(root / "Dockerfile", "the Dockerfile"), root


def _load_tb1(root: Path) -> TBTask:
    cfg_path = root / "task.yaml"
    try:
        cfg = TB1TaskConfig.model_validate(_read_yaml(cfg_path, dict, "a mapping of fields"))
    except ValidationError as e:
        raise TBTaskError(describe_validation_error(cfg_path, e)) from e
    dockerfile, context = _tb1_build(root)
    tests_dir = _require(root / "tests", "the tests folder")
    # a task without its own runner gets Terminal-Bench 1's default one
    run_tests = root / "run-tests.sh" if (root / "run-tests.sh").exists() else DEFAULT_TB1_RUN_TESTS
    solution = None
    for name in ("solution.sh", "solution.yaml"):
        if (root / name).exists():
            solution = root / name
            break
    if solution is not None and solution.suffix == ".yaml":
        load_solution_yaml(solution)  # validate now, so a bad file fails at load time
    return TBTask(
        id=root.name,
        path=root,
        format="tb1",
        instruction=cfg.instruction,
        difficulty=cfg.difficulty,
        category=cfg.category,
        tags=list(cfg.tags),
        agent_timeout_s=cfg.max_agent_timeout_sec,
        test_timeout_s=cfg.max_test_timeout_sec,
        dockerfile=dockerfile,
        build_context=context,
        tests_dir=tests_dir,
        test_script=run_tests,
        parser_name=cfg.parser_name,
        run_tests_in_same_shell=cfg.run_tests_in_same_shell,
        solution_path=solution,
        workdir=_workdir(dockerfile),
        has_compose=(root / "docker-compose.yaml").exists() or (root / "docker-compose.yml").exists(),
    )


def _load_tb2(root: Path) -> TBTask:
    cfg_path = root / "task.toml"
    try:
        raw = tomllib.loads(cfg_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise TBTaskError(f"{cfg_path}: not valid TOML ({e})") from e
    try:
        cfg = TB2TaskConfig.model_validate(raw)
    except ValidationError as e:
        raise TBTaskError(describe_validation_error(cfg_path, e)) from e
    instr_path = _require(root / "instruction.md", "the instruction")
    instruction = instr_path.read_text(encoding="utf-8").strip()
    if not instruction:
        raise TBTaskError(f"{instr_path}: the instruction is empty")
    env_dir = _require(root / "environment", "the environment folder")
    dockerfile = _require(env_dir / "Dockerfile", "the Dockerfile")
    tests_dir = _require(root / "tests", "the tests folder")
    test_sh = _require(tests_dir / "test.sh", "the verifier script")
    solve = root / "solution" / "solve.sh"
    workdir = cfg.environment.workdir or _workdir(dockerfile)
    return TBTask(
        id=root.name,
        path=root,
        format="tb2",
        instruction=instruction,
        difficulty=cfg.metadata.difficulty,
        category=cfg.metadata.category,
        tags=list(cfg.metadata.tags),
        agent_timeout_s=cfg.agent.timeout_sec,
        test_timeout_s=cfg.verifier.timeout_sec,
        dockerfile=dockerfile,
        build_context=env_dir,
        tests_dir=tests_dir,
        test_script=test_sh,
        parser_name="reward",
        solution_path=solve if solve.exists() else None,
        solution_dir=solve.parent if solve.exists() else None,
        workdir=workdir,
        has_compose=(env_dir / "docker-compose.yaml").exists(),
        extra={"allow_internet": cfg.environment.allow_internet},
    )


def load_tb_task(path: str | Path) -> TBTask:
    root = Path(path).resolve()
    if not root.is_dir():
        raise TBTaskError(f"{root}: not a task folder")
    if (root / "task.toml").exists():
        return _load_tb2(root)
    if (root / "task.yaml").exists():
        return _load_tb1(root)
    raise TBTaskError(f"{root}: neither task.yaml (Terminal-Bench 1) nor task.toml (Terminal-Bench 2) found")


def is_task_dir(path: Path) -> bool:
    return (path / "task.yaml").exists() or (path / "task.toml").exists()


BUILTIN = "builtin"


@dataclass
class SkippedTask:
    """A task folder of a suite that could not be loaded, and why (named file and field)."""

    id: str
    path: Path
    reason: str


def scan_tb_suite(path: str | Path) -> tuple[list[TBTask], list[SkippedTask]]:
    """Every task folder directly under `path` (or `path` itself if it is one), sorted by id; a
    folder that cannot be loaded is returned as skipped with its reason instead of failing the
    suite. `builtin` (when no such folder exists here) names the suite we ship."""
    if str(path) == BUILTIN and not Path(path).exists():
        path = builtin_suite_path()
    root = Path(path).resolve()
    if not root.is_dir():
        raise TBTaskError(f"{root}: not a folder")
    dirs = [root] if is_task_dir(root) else [p for p in sorted(root.iterdir()) if p.is_dir() and is_task_dir(p)]
    if not dirs:
        raise TBTaskError(f"{root}: no task folders (with task.yaml or task.toml) inside")
    tasks, skipped = [], []
    for d in dirs:
        try:
            tasks.append(load_tb_task(d))
        except TBTaskError as e:
            skipped.append(SkippedTask(d.name, d, str(e)))
    return tasks, skipped


def load_tb_suite(path: str | Path) -> list[TBTask]:
    """The loadable tasks of a suite (see `scan_tb_suite`); each skipped one is logged with its
    reason, and a suite where none loads fails with every reason."""
    tasks, skipped = scan_tb_suite(path)
    for s in skipped:
        log.warning("terminal-bench task %s skipped: %s", s.id, s.reason)
    if not tasks:
        raise TBTaskError("no task of the suite could be loaded:\n" + "\n".join(f"{s.id}: {s.reason}" for s in skipped))
    return tasks


def builtin_suite_path() -> Path:
    """Our own shipped suite (package data)."""
    return Path(__file__).resolve().parent / "tasks"
