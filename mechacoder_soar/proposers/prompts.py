"""Prompts for every proposer and for distillation data, and code extraction from completions.

One function builds every prompt (`build_messages`) and the distillation exporter calls exactly
it, so a fine-tuned model sees at inference the same prompt it was trained on (SOAR's released
code trained on one prompt format and sampled with another; this module exists to make that
impossible here). `tests/mechacoder_soar/proposers/snapshots/` pins the rendered text: changing a
prompt is a deliberate act that also invalidates exported datasets (bump PROMPT_VERSION).

Layout follows SOAR: grids are written numpy-style with their shape, the program is a Python
function `transform(grid)`; retrieved skills are shown as worked examples (description + code).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from skills_store.schema import Skill

from ..domain import Attempt, Mode, Task

PROMPT_VERSION = 1
ARC_ENTRY_POINT = "transform"
CODE_DEFAULT_ENTRY_POINT = "solve"
# Attempt.meta key under which a terminal executor leaves the failing tests' output
TERMINAL_FEEDBACK_KEY = "test_output"


@dataclass(frozen=True)
class PromptConfig:
    max_skills: int = 4
    max_skill_code_chars: int = 3000
    max_description_chars: int = 800
    max_wrong_pairs_shown: int = 3  # refinement: wrong outputs printed in full (others: just "wrong")
    max_feedback_chars: int = 4000


DEFAULT_PROMPT_CONFIG = PromptConfig()

# ---------------------------------------------------------------------------- formatting


def _is_grid(x: Any) -> bool:
    return (
        isinstance(x, list)
        and len(x) > 0
        and all(isinstance(r, list) for r in x)
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for r in x for v in r)
    )


def format_grid(grid: Any) -> str:
    """numpy-style text for a 2-D integer grid (`[[0 1]\\n [2 3]]`); non-grids fall back to repr
    (a program may return anything, and the refinement prompt must still show it)."""
    if not _is_grid(grid):
        return repr(grid)
    width = max((len(str(v)) for r in grid for v in r), default=1)
    rows = ["[" + " ".join(str(v).rjust(width) for v in r) + "]" for r in grid]
    return "[" + "\n ".join(rows) + "]"


def grid_shape(grid: Any) -> str:
    if not _is_grid(grid):
        return "not a grid"
    widths = {len(r) for r in grid}
    w = widths.pop() if len(widths) == 1 else "ragged"
    return f"{len(grid)}x{w}"


def _labelled_grid(label: str, grid: Any) -> str:
    if _is_grid(grid):
        return f"{label} (shape {grid_shape(grid)}):\n{format_grid(grid)}"
    return f"{label} (not a grid): {_clip(repr(grid), 2000)}"


def _clip(text: str, limit: int) -> str:
    """Keep head and tail: errors and test logs put the useful part at either end."""
    if len(text) <= limit:
        return text
    half = max(limit // 2 - 20, 1)
    return f"{text[:half]}\n... [{len(text) - 2 * half} characters cut] ...\n{text[-half:]}"


def _skill_block(skills: list[Skill], lang: str, heading: str, cfg: PromptConfig) -> str:
    shown = skills[: cfg.max_skills]
    if not shown:
        return ""
    parts = [heading]
    for i, s in enumerate(shown, 1):
        code = s.code.strip()
        if len(code) > cfg.max_skill_code_chars:
            code = code[: cfg.max_skill_code_chars] + "\n# ... (truncated)"
        desc = s.description.strip()
        if len(desc) > cfg.max_description_chars:
            desc = desc[: cfg.max_description_chars] + " ..."
        parts.append(f"### Example solution {i}\n{desc}\n```{lang}\n{code}\n```")
    return "\n\n".join(parts)


def _join(*sections: str) -> str:
    return "\n\n".join(s for s in sections if s)


# ---------------------------------------------------------------------------- ARC

ARC_SYSTEM = (
    "You are an expert at solving ARC (Abstraction and Reasoning Corpus) puzzles by writing Python "
    "programs. Each puzzle gives input/output grid pairs that all follow one hidden transformation "
    "rule. Grids are 2-D arrays of integers 0-9, each number a colour (0 is usually the background)."
)

ARC_ANSWER_FORMAT = (
    f"give one complete program in a single ```python block that "
    f"defines `def {ARC_ENTRY_POINT}(grid: list[list[int]]) -> list[list[int]]`, mapping any input grid "
    f"of this puzzle to its output grid. You may import numpy. The block must only define functions: "
    f"no prints, no tests."
)


def _arc_task_text(task: Task) -> str:
    parts = ["## Training examples"]
    for i, ex in enumerate(task.train, 1):
        parts.append(_labelled_grid(f"Input {i}", ex.input) + "\n" + _labelled_grid(f"Output {i}", ex.output))
    parts.append("## Test inputs")
    for i, grid in enumerate(task.test_inputs, 1):
        parts.append(_labelled_grid(f"Test input {i}", grid))
    return "\n\n".join(parts)


def _arc_feedback(task: Task, parent: Attempt, cfg: PromptConfig) -> str:
    lines = ["## Execution feedback on the training examples"]
    if parent.error and not parent.train_outputs:
        lines.append("The program failed before producing outputs:\n```\n" + _clip(parent.error, cfg.max_feedback_chars) + "\n```")
        return "\n".join(lines)
    n_ok = sum(bool(c) for c in parent.train_correct)
    lines.append(f"{n_ok} of {len(task.train)} training examples are correct.")
    wrong_shown = 0
    for i, ex in enumerate(task.train, 1):
        idx = i - 1
        ok = idx < len(parent.train_correct) and parent.train_correct[idx]
        if ok:
            lines.append(f"Example {i}: correct.")
            continue
        got = parent.train_outputs[idx] if idx < len(parent.train_outputs) else None
        if wrong_shown >= cfg.max_wrong_pairs_shown:
            lines.append(f"Example {i}: wrong.")
            continue
        wrong_shown += 1
        lines.append(
            f"Example {i}: wrong.\n" + _labelled_grid("Expected", ex.output) + "\n"
            + (_labelled_grid("Got", got) if got is not None else "Got: no output")
        )
    if parent.error:
        lines.append("Error raised:\n```\n" + _clip(parent.error, cfg.max_feedback_chars) + "\n```")
    if parent.test_outputs:
        lines.append("Its (unverified) predictions on the test inputs:")
        for i, out in enumerate(parent.test_outputs, 1):
            lines.append(_labelled_grid(f"Test output {i}", out))
    return "\n\n".join(lines)


def _arc_messages(task: Task, skills: list[Skill], mode: Mode, parent: Attempt | None, cfg: PromptConfig) -> list[dict]:
    if mode == "sample":
        user = _join(
            "Find the transformation rule of this puzzle and write it as a Python program.",
            _arc_task_text(task),
            _skill_block(skills, "python", "## Programs that solved similar puzzles", cfg),
            "## Your answer\nReason briefly about the rule, then " + ARC_ANSWER_FORMAT,
        )
    else:
        assert parent is not None
        user = _join(
            "A previous program for this puzzle is not fully correct. Find what it gets wrong and fix it.",
            _arc_task_text(task),
            "## Previous program\n```python\n" + parent.code.strip() + "\n```",
            _arc_feedback(task, parent, cfg),
            _skill_block(skills, "python", "## Programs that were successfully repaired on similar puzzles", cfg),
            "## Your answer\nExplain briefly what is wrong, then " + ARC_ANSWER_FORMAT,
        )
    return [{"role": "system", "content": ARC_SYSTEM}, {"role": "user", "content": user}]


# ---------------------------------------------------------------------------- terminal

TERMINAL_SYSTEM = (
    "You are an expert Linux engineer. You solve tasks by writing a bash script that runs "
    "non-interactively in the task's environment, from its working directory."
)
TERMINAL_ANSWER_FORMAT = "Give one complete script in a single ```bash block. Do not ask questions; do not wait for input."


def _terminal_feedback(parent: Attempt, cfg: PromptConfig) -> str:
    lines = ["## Test results"]
    if parent.train_correct:
        lines.append(f"{sum(bool(c) for c in parent.train_correct)} of {len(parent.train_correct)} tests passed.")
    out = parent.meta.get(TERMINAL_FEEDBACK_KEY)
    if out:
        lines.append("Output of the failing tests:\n```\n" + _clip(str(out), cfg.max_feedback_chars) + "\n```")
    if parent.error:
        lines.append("Error:\n```\n" + _clip(parent.error, cfg.max_feedback_chars) + "\n```")
    if len(lines) == 1:
        lines.append("The tests failed (no output was captured).")
    return "\n\n".join(lines)


def _terminal_messages(task: Task, skills: list[Skill], mode: Mode, parent: Attempt | None, cfg: PromptConfig) -> list[dict]:
    task_text = "## Task\n" + task.instruction.strip()
    if mode == "sample":
        user = _join(
            task_text,
            _skill_block(skills, "bash", "## Scripts that solved similar tasks", cfg),
            "## Your answer\n" + TERMINAL_ANSWER_FORMAT,
        )
    else:
        assert parent is not None
        user = _join(
            task_text,
            "## Previous script\n```bash\n" + parent.code.strip() + "\n```",
            _terminal_feedback(parent, cfg),
            _skill_block(skills, "bash", "## Scripts that were successfully repaired on similar tasks", cfg),
            "## Your answer\nExplain briefly why the tests fail, then fix the script. " + TERMINAL_ANSWER_FORMAT,
        )
    return [{"role": "system", "content": TERMINAL_SYSTEM}, {"role": "user", "content": user}]


# ---------------------------------------------------------------------------- generic code

CODE_SYSTEM = "You are an expert Python programmer. You write correct, self-contained functions."


def code_entry_point(task: Task) -> str:
    return str(task.meta.get("entry_point") or CODE_DEFAULT_ENTRY_POINT)


def _code_messages(task: Task, skills: list[Skill], mode: Mode, parent: Attempt | None, cfg: PromptConfig) -> list[dict]:
    ep = code_entry_point(task)
    examples = ["## Examples"] + [
        f"Example {i}: {ep}({_clip(repr(ex.input), 2000)}) should return {_clip(repr(ex.output), 2000)}"
        for i, ex in enumerate(task.train, 1)
    ]
    task_text = _join("## Task\n" + task.instruction.strip(), "\n".join(examples) if task.train else "")
    answer = (
        f"Give one complete program in a single ```python block that defines `{ep}`, taking one "
        f"argument (the example input). The block must only define functions: no prints, no tests."
    )
    if mode == "sample":
        user = _join(
            task_text,
            _skill_block(skills, "python", "## Programs that solved similar tasks", cfg),
            "## Your answer\n" + answer,
        )
    else:
        assert parent is not None
        fb = ["## Execution feedback"]
        for i, ex in enumerate(task.train, 1):
            idx = i - 1
            if idx < len(parent.train_correct) and parent.train_correct[idx]:
                fb.append(f"Example {i}: correct.")
            else:
                got = parent.train_outputs[idx] if idx < len(parent.train_outputs) else None
                fb.append(f"Example {i}: wrong, returned {_clip(repr(got), 2000)}.")
        if parent.error:
            fb.append("Error:\n```\n" + _clip(parent.error, cfg.max_feedback_chars) + "\n```")
        user = _join(
            task_text,
            "## Previous program\n```python\n" + parent.code.strip() + "\n```",
            "\n".join(fb),
            _skill_block(skills, "python", "## Programs that were successfully repaired on similar tasks", cfg),
            "## Your answer\nExplain briefly what is wrong. " + answer,
        )
    return [{"role": "system", "content": CODE_SYSTEM}, {"role": "user", "content": user}]


# ---------------------------------------------------------------------------- public API

_BUILDERS = {"arc": _arc_messages, "terminal": _terminal_messages, "code": _code_messages}


def build_messages(
    task: Task,
    skills: list[Skill],
    mode: Mode,
    parent: Attempt | None = None,
    config: PromptConfig = DEFAULT_PROMPT_CONFIG,
) -> list[dict]:
    """Chat messages asking for a first program (`mode="sample"`) or a repair of `parent`
    (`mode="refine"`). `task` must be public: test outputs never reach a prompt."""
    if mode not in ("sample", "refine"):
        raise ValueError(f"mode must be 'sample' or 'refine', got {mode!r}")
    if mode == "refine" and parent is None:
        raise ValueError("mode='refine' needs the parent attempt")
    if task.test_outputs is not None:
        raise ValueError(f"task {task.id!r} still carries test outputs: pass task.public() to build_messages")
    builder = _BUILDERS.get(task.kind)
    if builder is None:
        raise ValueError(f"no prompt for task kind {task.kind!r}")
    return builder(task, skills, mode, parent, config)


_PY_LANGS = {"python", "py", "python3", ""}
_SH_LANGS = {"bash", "sh", "shell", "zsh", ""}


def _fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of every fenced block, scanning line by line. Lenient where small models
    are sloppy: a labelled fence (```python) met inside an open block starts a new block (the
    open one was a stray empty fence), a fence closed at the end of a code line (`return g```)
    closes, and an unterminated final block is kept (the model hit max_tokens)."""
    blocks: list[tuple[str, str]] = []
    cur: list[str] | None = None
    lang = ""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            tag = stripped[3:].strip().lower()
            if cur is not None:
                blocks.append((lang, "\n".join(cur)))
                cur = None
                if not tag:
                    continue  # a plain closing fence
            cur, lang = [], (tag.split()[0] if tag else "")
            continue
        if cur is not None:
            if line.rstrip().endswith("```"):
                cur.append(line.rstrip()[:-3])
                blocks.append((lang, "\n".join(cur)))
                cur = None
            else:
                cur.append(line)
    if cur is not None:
        blocks.append((lang, "\n".join(cur)))
    return blocks


def _is_literal(node: ast.AST) -> bool:
    try:
        ast.literal_eval(node)
        return True
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False


def keep_definitions(source: str) -> str | None:
    """Only imports, function/class definitions and literal constants at top level, as SOAR
    keeps them: a completion's trailing `print(transform(...))` or test calls would otherwise run
    (and fail, or be slow) at import in the executor. Literal constants are kept because
    functions commonly read them, and they cannot have side effects. None if it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    lines = source.splitlines()
    kept: list[str] = []
    for node in tree.body:
        keep = isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None and _is_literal(node.value):
            keep = True
        if not keep:
            continue
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        kept.append("\n".join(lines[start - 1 : node.end_lineno]))
    if not kept:
        return None
    return "\n\n".join(kept).strip() + "\n"


def _defines(source: str, name: str | None) -> bool:
    tree = ast.parse(source)
    defs = [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return bool(defs) if name is None else name in defs


def extract_code(text: str, kind: str, entry_point: str | None = None) -> str | None:
    """The program in a completion, or None.

    Python (`arc`, `code`): the LAST fenced python block that parses and defines the entry point
    (`transform` for ARC; `entry_point`/any function for code tasks) wins: models often draft
    and then give a corrected final version. A completion with no fence is tried as raw code.
    An unterminated final fence (the model hit max_tokens) is used only if it still parses.
    Bash (`terminal`): the last non-empty ```bash/sh block (or unlabelled block)."""
    if not isinstance(text, str) or not text.strip():
        return None
    blocks = _fenced_blocks(text)
    if kind == "terminal":
        labelled = [b for lang, b in blocks if lang in _SH_LANGS - {""} and b.strip()]
        bare = [b for lang, b in blocks if lang == "" and b.strip()]
        chosen = (labelled or bare or [None])[-1]
        return chosen.strip() + "\n" if chosen else None
    if kind not in ("arc", "code"):
        raise ValueError(f"no code extraction for task kind {kind!r}")
    name = ARC_ENTRY_POINT if kind == "arc" else entry_point
    candidates = [b for lang, b in blocks if lang in _PY_LANGS]
    if not blocks:
        candidates = [text]
    cleaned_blocks = [c for c in (keep_definitions(src) for src in reversed(candidates)) if c is not None]
    for cleaned in cleaned_blocks:
        if _defines(cleaned, name):
            return cleaned
    if kind == "arc":
        # Small models often name the function after the task ("transform_shape"). A block whose
        # only top-level function takes one argument is unambiguous: alias it to the contract.
        for cleaned in cleaned_blocks:
            sole = _sole_unary_function(cleaned)
            if sole:
                return f"{cleaned}\n{ARC_ENTRY_POINT} = {sole}\n"
    return None


def _sole_unary_function(source: str) -> str | None:
    tree = ast.parse(source)
    fns = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    if len(fns) != 1:
        return None
    a = fns[0].args
    return fns[0].name if len(a.posonlyargs) + len(a.args) == 1 and not a.vararg else None
