"""The write-behind index: adds reach Chroma in batches, in the background, and nothing is hidden or
lost meanwhile (real Chroma on disk; a flaky wrapper only to make writes fail)."""
import subprocess
import textwrap
import threading

import numpy as np
import pytest

from skills_store import StoreConfig
from skills_store.store import SkillStore
from skills_store.vectors import VectorIndex
from skills_store.write_behind import WriteBehindIndex
from tests.conftest import PYTHON, ROOT

rng = np.random.default_rng(0)


def unit(n: int) -> np.ndarray:
    v = rng.standard_normal((n, 384)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_buffered_vectors_are_searched_at_once_and_written_in_one_batch(tmp_path):
    inner = VectorIndex(str(tmp_path / "chroma"))
    idx = WriteBehindIndex(inner, delay_s=60)  # nothing is written until flushed
    old = unit(20)
    inner.add("default", [f"old{i}" for i in range(20)], old)
    new = unit(5)
    for i in range(5):
        idx.add("default", [f"new{i}"], new[i : i + 1])
    assert inner.count("default") == 20 and idx.count("default") == 25 and idx.pending() == 5
    # a search right after the add finds it, at the distance Chroma would give
    hits = idx.query("default", new[3], 3)
    assert hits[0].id == "new3" and abs(hits[0].distance) < 1e-5
    assert [h.id for h in idx.query("default", old[7], 1)] == ["old7"]  # Chroma's hits still merge in
    assert idx.existing("default", ["new1", "old2", "nope"]) == {"new1", "old2"}
    assert idx.flush(timeout=30)
    assert idx.writes == 1 and idx.pending() == 0  # five adds, one Chroma write
    assert inner.count("default") == 25 and inner.query("default", new[3], 1)[0].id == "new3"
    idx.close()


def test_concurrent_adds_are_batched_by_the_writer(tmp_path):
    idx = WriteBehindIndex(VectorIndex(str(tmp_path / "chroma")), delay_s=0.05)
    vecs = unit(40)

    def add(i):
        idx.add("default", [f"s{i}"], vecs[i : i + 1])

    ts = [threading.Thread(target=add, args=(i,)) for i in range(40)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert idx.flush(timeout=30)
    assert idx.inner.count("default") == 40 and 1 <= idx.writes < 40
    idx.close()


class Flaky:
    """Wraps a real index; its adds fail while `down` is set."""

    def __init__(self, inner):
        self.inner, self.down = inner, True

    def add(self, ns, ids, vecs):
        if self.down:
            raise ConnectionError("chroma is down")
        self.inner.add(ns, ids, vecs)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_a_failed_write_keeps_the_vectors_searchable_and_is_retried(tmp_path, caplog):
    flaky = Flaky(VectorIndex(str(tmp_path / "chroma")))
    idx = WriteBehindIndex(flaky, delay_s=0.01, retry_s=0.05)
    v = unit(1)
    with caplog.at_level("WARNING"):
        idx.add("default", ["a"], v)
        assert not idx.flush(timeout=0.5)  # cannot be written yet
    assert isinstance(idx.last_error, ConnectionError) and "will retry" in caplog.text
    assert idx.query("default", v[0], 1)[0].id == "a"  # still found
    flaky.down = False
    assert idx.flush(timeout=30) and idx.last_error is None
    assert flaky.inner.count("default") == 1
    idx.close()


def test_close_writes_what_is_buffered_and_refuses_later_adds(tmp_path):
    cfg = StoreConfig(location=str(tmp_path / "store"), index_write_behind_ms=60_000)
    store = SkillStore(cfg)
    sid = store.add([{"code": "def transform(g):\n    return g[::-1]", "description": "flip upside down", "kind": "arc"}]).added[0]
    assert store.vectors.pending() == 1
    assert store.retrieve("turn the grid upside down", k=1)[0].skill.id == sid
    store.close()
    assert VectorIndex(cfg.location).existing(cfg.namespace, [sid]) == {sid}
    with pytest.raises(Exception, match="closed"):
        store.vectors.add("default", ["x"], unit(1))


def test_vectors_buffered_at_a_crash_are_reindexed_from_the_ledger(tmp_path):
    loc = tmp_path / "store"
    script = textwrap.dedent(f"""
        import os
        from skills_store import StoreConfig
        from skills_store.store import SkillStore
        s = SkillStore(StoreConfig(location={str(loc)!r}, index_write_behind_ms=600_000))
        sid = s.add([{{"code": "def transform(g):\\n    return [r[::-1] for r in g]",
                      "description": "mirror each row left to right", "kind": "arc"}}]).added[0]
        print(sid, flush=True)
        os._exit(0)  # dies with the vector still in memory
    """)
    out = subprocess.run([PYTHON, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    sid = out.stdout.split()[-1]
    assert VectorIndex(str(loc)).existing("default", [sid]) == set()  # never reached Chroma
    with SkillStore(StoreConfig(location=str(loc))) as s:
        assert s.retrieve("flip each row horizontally", k=1)[0].skill.id == sid  # repaired on open
        assert s.vectors.existing("default", [sid]) == {sid}


def test_bad_delay_is_refused(tmp_path):
    with pytest.raises(ValueError, match="delay"):
        WriteBehindIndex(VectorIndex(str(tmp_path / "c")), delay_s=0)
