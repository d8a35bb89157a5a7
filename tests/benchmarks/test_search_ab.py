"""search_ab.py: each side's worker runs its own checkout's search, and the two sides' results are
compared search by search."""
from __future__ import annotations

import shutil
from pathlib import Path

from .test_transfer_eval import _load

ab = _load("search_ab")
ROOT = Path(__file__).resolve().parents[2]


def test_the_same_checkout_on_both_sides_finds_the_same(tmp_path):
    out = ab.compare(str(ROOT), str(ROOT), [ab.search_speed.THROUGHPUT_TASKS[0]], budget=80, depth=2, progress=False)
    assert out["same_candidates"] and out["tasks"] == 1
    assert out["cpu_s_a"] > 0 and out["cpu_s_b"] > 0 and out["speedup_b"] == out["cpu_s_a"] / out["cpu_s_b"]


def test_each_side_runs_its_own_checkout(tmp_path):
    """A copy whose primitive costs differ searches in another order: the comparison says so."""
    other = tmp_path / "other"
    other.mkdir()
    shutil.copytree(ROOT / "mechacoder_soar", other / "mechacoder_soar", copy_function=shutil.copy2)
    geometry = other / "mechacoder_soar" / "library_search" / "dsl" / "geometry.py"
    text = geometry.read_text()
    assert "cost=0.9" in text or "cost=1.0" in text
    geometry.write_text(text.replace("cost=0.9", "cost=3.9").replace("cost=1.0", "cost=4.0"))
    out = ab.compare(str(ROOT), str(other), [ab.search_speed.THROUGHPUT_TASKS[0]], budget=80, depth=2, progress=False)
    assert not out["same_candidates"]
