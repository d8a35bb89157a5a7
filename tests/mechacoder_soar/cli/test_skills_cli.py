"""`soar skills` through the real console script."""
import json
import subprocess
import time
from pathlib import Path

from tests.conftest import ROOT

SOAR = str(Path(ROOT) / ".venv" / "bin" / "soar")


def soar(*args, check=True):
    out = subprocess.run([SOAR, *args], capture_output=True, text=True, timeout=180)
    if check:
        assert out.returncode == 0, out.stderr
    return out


def test_help_is_fast():
    t = time.perf_counter()
    soar("--help")
    assert time.perf_counter() - t < 3.0  # generous for a loaded CI box; typically ~0.3 s


def test_add_search_show_stats_export_import(tmp_path):
    store = str(tmp_path / "s")
    f = tmp_path / "skills.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in [
        {"code": "def transform(g):\n    return g[::-1]", "description": "flip upside down", "kind": "arc", "source": "seed"},
        {"code": "def transform(g):\n    return [r*2 for r in g]", "description": "double the width by repeating each row", "kind": "arc"},
    ]) + "\n")
    assert json.loads(soar("skills", "add", str(f), "--store", store, "--json").stdout)["added"]
    hits = json.loads(soar("skills", "search", "make it twice as wide", "--k", "1", "--store", store, "--json").stdout)
    assert hits[0]["skill"]["description"].startswith("double")
    shown = json.loads(soar("skills", "show", hits[0]["skill"]["id"], "--store", store, "--json").stdout)
    assert shown["history"][0]["kind"] == "added"
    assert json.loads(soar("skills", "stats", "--store", store, "--json").stdout)["skills"] == 2
    soar("skills", "export", str(tmp_path / "b.jsonl"), "--store", store)
    res = json.loads(soar("skills", "import", str(tmp_path / "b.jsonl"), "--store", str(tmp_path / "s2"), "--json").stdout)
    assert len(res["added"]) == 2


def test_bad_file_named_and_nothing_added(tmp_path):
    store = str(tmp_path / "s")
    f = tmp_path / "bad.jsonl"
    f.write_text('{"code": "x", "description": "ok"}\n{"code": "y"}\n')
    out = soar("skills", "add", str(f), "--store", store, check=False)
    assert out.returncode == 2
    assert "record 2" in out.stderr and "description" in out.stderr and "nothing was added" in out.stderr
    assert json.loads(soar("skills", "stats", "--store", store, "--json").stdout)["skills"] == 0
    out = soar("skills", "show", "sk_nope", "--store", store, check=False)
    assert out.returncode == 2 and "no skill" in out.stderr
