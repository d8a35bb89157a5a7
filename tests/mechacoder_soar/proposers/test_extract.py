from __future__ import annotations

import pytest

from mechacoder_soar.proposers.prompts import extract_code, keep_definitions


def test_last_valid_python_block_wins() -> None:
    text = (
        "First try:\n```python\ndef transform(grid):\n    return grid\n```\n"
        "Actually, flip it:\n```python\ndef transform(grid):\n    return grid[::-1]\n```\nDone."
    )
    assert extract_code(text, "arc") == "def transform(grid):\n    return grid[::-1]\n"


def test_top_level_statements_are_dropped() -> None:
    text = (
        "```python\nimport numpy as np\nCOLORS = {1: 2}\n\n@staticmethod\ndef helper(x):\n    return x\n\n"
        "def transform(grid):\n    return helper(grid)\n\nprint(transform([[1]]))\nassert transform([[1]]) == [[1]]\n"
        "x = compute()\nif __name__ == '__main__':\n    main()\n```"
    )
    code = extract_code(text, "arc")
    assert code is not None
    assert "print(" not in code and "assert" not in code and "compute()" not in code and "__main__" not in code
    assert "import numpy as np" in code and "COLORS = {1: 2}" in code and "@staticmethod\ndef helper" in code
    ns: dict = {}
    exec(code, ns)
    assert ns["transform"]([[3]]) == [[3]]


def test_block_without_entry_point_or_broken_is_skipped() -> None:
    text = "```python\ndef transform(grid):\n    return [r[::-1] for r in grid]\n```\n```python\ndef other(): pass\n```\n```python\ndef transform(:\n```"
    assert extract_code(text, "arc") == "def transform(grid):\n    return [r[::-1] for r in grid]\n"


def test_sole_misnamed_grid_function_is_aliased_to_transform() -> None:
    text = "```python\ndef transform_shape(shape: list[list[int]]) -> list[list[int]]:\n    return shape[::-1]\n```"
    code = extract_code(text, "arc")
    ns: dict = {}
    exec(code, ns)
    assert ns["transform"]([[1], [2]]) == [[2], [1]]
    # ambiguous (two functions) or not a one-argument function: no guess
    assert extract_code("```python\ndef a(g):\n    return g\ndef b(g):\n    return g\n```", "arc") is None
    assert extract_code("```python\ndef f(g, k):\n    return g\n```", "arc") is None
    # a block that does define transform still wins over a misnamed one
    both = "```python\ndef transform(grid):\n    return grid\n```\n```python\ndef flip(g):\n    return g[::-1]\n```"
    assert extract_code(both, "arc") == "def transform(grid):\n    return grid\n"


def test_no_program() -> None:
    assert extract_code("I don't know.", "arc") is None
    assert extract_code("", "arc") is None
    assert extract_code("```python\nprint('hi')\n```", "arc") is None


def test_raw_code_and_unterminated_fence() -> None:
    assert extract_code("def transform(g):\n    return g\n", "arc") == "def transform(g):\n    return g\n"
    # cut off by max_tokens but still parses
    assert extract_code("Here:\n```python\ndef transform(g):\n    return g\n", "arc") == "def transform(g):\n    return g\n"
    assert extract_code("Here:\n```python\ndef transform(g):\n    return [", "arc") is None


def test_inline_closing_fence_and_py_label() -> None:
    assert extract_code("```py\ndef transform(g):\n    return g```", "arc") == "def transform(g):\n    return g\n"


def test_code_kind_entry_point() -> None:
    text = "```python\ndef helper():\n    pass\n```\n```python\ndef solve(x):\n    return x\n```"
    assert extract_code(text, "code", entry_point="helper") == "def helper():\n    pass\n"
    assert extract_code(text, "code") == "def solve(x):\n    return x\n"


def test_bash_extraction() -> None:
    text = "Plan:\n```bash\necho draft\n```\nFinal:\n```sh\nset -e\necho hello > /app/hello.txt\n```\n```text\noutput\n```"
    assert extract_code(text, "terminal") == "set -e\necho hello > /app/hello.txt\n"
    assert extract_code("```\nls -la\n```", "terminal") == "ls -la\n"
    assert extract_code("no script here", "terminal") is None


def test_unknown_kind() -> None:
    with pytest.raises(ValueError, match="kind"):
        extract_code("x", "haskell")


def test_keep_definitions_none_when_nothing_kept() -> None:
    assert keep_definitions("print(1)\n") is None
    assert keep_definitions("def (:\n") is None


def test_stray_empty_fence_before_labelled_block() -> None:
    # seen from SmolLM2: an empty ``` line, then the real ```python block, cut off mid-way
    text = "```\n\n```python\ndef transform(grid):\n    return grid[::-1]\n\ndef main():\n    grid = [[3, 3,"
    assert extract_code(text, "arc") is None  # unterminated and unparseable: no program
    text2 = "```\n\n```python\ndef transform(grid):\n    return grid[::-1]\n```\nmore prose"
    assert extract_code(text2, "arc") == "def transform(grid):\n    return grid[::-1]\n"
