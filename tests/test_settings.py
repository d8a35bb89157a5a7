"""Environment variables and data directories are resolved in the settings modules only
(`skills_store/settings.py`, and `mechacoder_soar/settings.py` on top of it)."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from mechacoder_soar import settings
from skills_store import settings as store_settings

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = {ROOT / "skills_store" / "settings.py", ROOT / "mechacoder_soar" / "settings.py"}


def _env_uses(path: Path) -> list[str]:
    """Where a file sets an environment default or reads a SOAR_/XDG_ variable."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and node.attr == "setdefault" and "environ" in ast.unparse(node.value):
            out.append(f"{path.relative_to(ROOT)}:{node.lineno} os.environ.setdefault")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith(("SOAR_", "XDG_")):
            out.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value}")
    return out


def test_only_the_settings_modules_touch_the_environment():
    found = [u for pkg in ("skills_store", "mechacoder_soar", "graphs") for p in sorted((ROOT / pkg).rglob("*.py"))
             if p not in SETTINGS and "terminal/tasks" not in p.as_posix() for u in _env_uses(p)]
    assert not found, "\n".join(found)


def test_directories_follow_the_variables(monkeypatch, tmp_path):
    for var in ("SOAR_STORE", "SOAR_CACHE_DIR", "SOAR_MODEL_CACHE", "XDG_CACHE_HOME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert settings.data_dir() == tmp_path / "data" / "mechacoder-soar"
    assert settings.store_location() == str(tmp_path / "data" / "mechacoder-soar" / "store")
    assert settings.models_cache_root() == tmp_path / "data" / "mechacoder-soar" / "models"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xc"))
    assert settings.cache_dir() == tmp_path / "xc" / "mechacoder-soar"
    monkeypatch.setenv("SOAR_CACHE_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("SOAR_STORE", str(tmp_path / "s"))
    monkeypatch.setenv("SOAR_MODEL_CACHE", str(tmp_path / "m"))
    assert (settings.cache_dir(), settings.store_location(), settings.models_cache_root()) == \
        (tmp_path / "c", str(tmp_path / "s"), tmp_path / "m")
    monkeypatch.setenv("SOAR_EMBED_BACKEND", " Torch ")
    assert store_settings.embed_backend("auto") == "torch"
    monkeypatch.delenv("SOAR_EMBED_BACKEND")
    assert store_settings.embed_backend("onnx") == "onnx"


def test_defaults_apply_on_import_and_never_override_the_user():
    code = "import os, mechacoder_soar; print(os.environ['HF_HUB_OFFLINE'], os.environ['LITELLM_LOCAL_MODEL_COST_MAP'])"
    env = {k: v for k, v in os.environ.items() if k not in settings.ENV_DEFAULTS}
    out = subprocess.run([sys.executable, "-c", code], env={**env, "HF_HUB_OFFLINE": "0"}, cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == ["0", "True"]
