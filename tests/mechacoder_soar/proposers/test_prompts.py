"""Rendered prompts are pinned by snapshots: a prompt change must be deliberate, because the same
text is the distillation training input. Regenerate with SOAR_UPDATE_SNAPSHOTS=1 and review the diff."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from mechacoder_soar.proposers.prompts import build_messages, format_grid, grid_shape

from . import fixtures as fx

SNAPSHOTS = Path(__file__).parent / "snapshots"


def render(messages: list[dict]) -> str:
    return "".join(f"=== {m['role']} ===\n{m['content']}\n" for m in messages)


CASES = {
    "arc_sample": lambda: build_messages(fx.arc_task().public(), fx.arc_skills(), "sample"),
    "arc_sample_no_skills": lambda: build_messages(fx.arc_task().public(), [], "sample"),
    "arc_refine": lambda: build_messages(fx.arc_task().public(), fx.arc_skills()[:1], "refine", fx.arc_parent()),
    "arc_refine_error": lambda: build_messages(fx.arc_task().public(), [], "refine", fx.arc_parent_error()),
    "terminal_sample": lambda: build_messages(
        fx.terminal_task(), [fx.skill("t-s", "printf 'x' > /app/x.txt\n", "Write a file.", "terminal")], "sample"
    ),
    "terminal_refine": lambda: build_messages(fx.terminal_task(), [], "refine", fx.terminal_parent()),
    "code_sample": lambda: build_messages(fx.code_task(), [], "sample"),
    "code_refine": lambda: build_messages(fx.code_task(), [], "refine", fx.code_parent()),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_prompt_snapshot(name: str) -> None:
    text = render(CASES[name]())
    path = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("SOAR_UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"missing snapshot {path}; run with SOAR_UPDATE_SNAPSHOTS=1 once and review it"
    assert text == path.read_text()


def test_numpy_style_grid() -> None:
    assert format_grid([[0, 1, 2], [3, 4, 5]]) == "[[0 1 2]\n [3 4 5]]"
    assert format_grid([[10, 1]]) == "[[10  1]]"
    assert grid_shape([[0, 1, 2], [3, 4, 5]]) == "2x3"
    assert format_grid("oops") == "'oops'"


def test_sample_prompt_content() -> None:
    user = build_messages(fx.arc_task().public(), fx.arc_skills(), "sample")[1]["content"]
    assert "Input 1 (shape 2x2):\n[[1 0]\n [2 3]]" in user
    assert "Test input 1 (shape 3x3):" in user
    assert "Rotate the grid 90 degrees" in user and "np.rot90" in user
    # the hidden test answer never appears
    assert "[[0 0 4]\n [6 0 0]\n [3 2 1]]" not in user


def test_refine_prompt_shows_feedback() -> None:
    user = build_messages(fx.arc_task().public(), [], "refine", fx.arc_parent())[1]["content"]
    assert "1 of 2 training examples are correct." in user
    assert "Example 1: correct." in user
    assert "Example 2: wrong.\nExpected (shape 2x3):\n[[0 5 5]\n [7 7 0]]\nGot (shape 2x3):\n[[5 5 0]\n [0 7 7]]" in user
    assert "Test output 1 (shape 3x3)" in user
    assert "def transform(grid):\n    return grid" in user


def test_refine_error_and_terminal_feedback() -> None:
    user = build_messages(fx.arc_task().public(), [], "refine", fx.arc_parent_error())[1]["content"]
    assert "IndexError: list index out of range" in user
    term = build_messages(fx.terminal_task(), [], "refine", fx.terminal_parent())[1]["content"]
    assert "1 of 2 tests passed." in term and "expected 'hello', got 'hi'" in term
    assert "```bash\necho hi > /app/hello.txt\n```" in term


def test_skill_limits_and_truncation() -> None:
    from mechacoder_soar.proposers.prompts import PromptConfig

    long = fx.skill("big", "def transform(grid):\n" + "    x = 1\n" * 1000 + "    return grid\n", "Big.")
    cfg = PromptConfig(max_skills=1, max_skill_code_chars=100)
    user = build_messages(fx.arc_task().public(), [long, *fx.arc_skills()], "sample", config=cfg)[1]["content"]
    assert "# ... (truncated)" in user
    assert "Rotate the grid" not in user  # only max_skills shown


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="test outputs"):
        build_messages(fx.arc_task(), [], "sample")
    with pytest.raises(ValueError, match="parent"):
        build_messages(fx.arc_task().public(), [], "refine")
    with pytest.raises(ValueError, match="mode"):
        build_messages(fx.arc_task().public(), [], "mutate")  # type: ignore[arg-type]
