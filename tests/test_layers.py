"""The layers import downwards only: cli -> graphs -> mechacoder_soar -> skills_store.

`mechacoder_soar.cli` (and `mechacoder_soar/__main__.py`) is the top layer although it lives in the
package. Every import statement counts, including the ones inside functions (the lazy imports
that keep start-up fast are exactly where a cycle hides), and relative imports are resolved.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("skills_store", "mechacoder_soar", "graphs")
RANK = {"skills_store": 0, "mechacoder_soar": 1, "graphs": 2, "cli": 3}


def layer(module: str) -> str | None:
    """The layer a dotted module name belongs to; None for modules outside the project."""
    if module in ("mechacoder_soar.cli", "mechacoder_soar.__main__") or module.startswith("mechacoder_soar.cli."):
        return "cli"
    top = module.split(".")[0]
    return top if top in PACKAGES else None


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """(line, absolute module name) for every import in the file, at any depth."""
    me = module_name(path, root)
    package = me.split(".") if path.name == "__init__.py" else me.split(".")[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
                # `from . import x` may name submodules: check each as its own import
                names = [f"{mod}.{a.name}" for a in node.names] if not node.module else [mod]
                out += [(node.lineno, n) for n in names]
            else:
                out.append((node.lineno, node.module or ""))
    return out


def upward_imports(root: Path = ROOT) -> list[str]:
    bad = []
    for pkg in PACKAGES:
        for path in sorted((root / pkg).rglob("*.py")):
            mine = layer(module_name(path, root))
            for line, mod in imported_modules(path, root):
                theirs = layer(mod)
                if theirs is not None and RANK[theirs] > RANK[mine]:
                    bad.append(f"{path.relative_to(root)}:{line} ({mine}) imports {mod} ({theirs})")
    return bad


def test_no_module_imports_a_higher_layer():
    bad = upward_imports()
    assert not bad, "upward imports (layers: cli -> graphs -> mechacoder_soar -> skills_store):\n" + "\n".join(bad)


@pytest.mark.parametrize("source, module, expected", [
    ("def f():\n    from graphs.runner import run_loop\n", "mechacoder_soar/engine.py", "graphs.runner"),
    ("from ..cli import common\n", "mechacoder_soar/distributed/x.py", "mechacoder_soar.cli"),
    ("from . import cli\n", "mechacoder_soar/__init__.py", "mechacoder_soar.cli"),
    ("import mechacoder_soar.config\n", "skills_store/store.py", "mechacoder_soar.config"),
])
def test_the_check_sees_hidden_and_relative_imports(tmp_path, source, module, expected):
    path = tmp_path / module
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)
    for pkg in PACKAGES:
        (tmp_path / pkg).mkdir(exist_ok=True)
    found = upward_imports(tmp_path)
    assert len(found) == 1 and expected in found[0], found
