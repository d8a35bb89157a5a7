"""The write-behind index: adds reach Chroma in batches, in the background, and nothing is hidden or
lost meanwhile (real Chroma on disk; a flaky wrapper only to make writes fail)."""
import subprocess
import textwrap
import threading

import numpy as np
import pytest

from skills_store import StoreConfig
from skills_store.store import SkillStore
from skills_store.vectors import ChromaIndex
from skills_store.write_behind import WriteBehindIndex
from tests.conftest import PYTHON, ROOT

rng = np.random.default_rng(0)


def unit(n: int) -> np.ndarray:
    v = rng.standard_normal((n, 384)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_buffered_vectors_are_searched_at_once_and_written_in_one_batch(tmp_path):
    inner = ChromaIndex(str(tmp_path / "chroma"))
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
    idx = WriteBehindIndex(ChromaIndex(str(tmp_path / "chroma")), delay_s=0.05)
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
    flaky = Flaky(ChromaIndex(str(tmp_path / "chroma")))
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
    assert ChromaIndex(cfg.location).existing(cfg.namespace, [sid]) == {sid}
    with pytest.raises(Exception, match="closed"):
        store.vectors.add("default", ["x"], unit(1))


@pytest.mark.parametrize("embed_behind", [False, True], ids=["vector-buffered", "text-buffered"])
def test_skills_buffered_at_a_crash_are_reindexed_from_the_ledger(tmp_path, embed_behind):
    loc = tmp_path / "store"
    script = textwrap.dedent(f"""
        import os
        from skills_store import StoreConfig
        from skills_store.store import SkillStore
        s = SkillStore(StoreConfig(location={str(loc)!r}, index_write_behind_ms=600_000, index_embed_behind={embed_behind}))
        sid = s.add([{{"code": "def transform(g):\\n    return [r[::-1] for r in g]",
                      "description": "mirror each row left to right", "kind": "arc"}}]).added[0]
        print(sid, flush=True)
        os._exit(0)  # dies with the vector (or the text) still in memory
    """)
    out = subprocess.run([PYTHON, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    sid = out.stdout.split()[-1]
    assert ChromaIndex(str(loc)).existing("default", [sid]) == set()  # never reached Chroma
    with SkillStore(StoreConfig(location=str(loc))) as s:
        assert s.retrieve("flip each row horizontally", k=1)[0].skill.id == sid  # repaired on open
        assert s.vectors.existing("default", [sid]) == {sid}


def test_bad_delay_is_refused(tmp_path):
    with pytest.raises(ValueError, match="delay"):
        WriteBehindIndex(ChromaIndex(str(tmp_path / "c")), delay_s=0)


# -- embed-behind: the writer embeds too -----------------------------------------------------------
class Counting:
    """Wraps the real embedder, counting its calls (and failing while `down` is set)."""

    def __init__(self, down: bool = False):
        from skills_store.embedding import Embedder

        self.inner, self.calls, self.down = Embedder(16), [], down
        self.gate: threading.Event | None = None  # when given, each call waits for it

    def embed(self, texts):
        self.calls.append(list(texts))
        if self.gate is not None:
            self.gate.wait(60)
        if self.down:
            raise RuntimeError("model unavailable")
        return self.inner.embed(texts)


FLIP = {"code": "def transform(g):\n    return g[::-1]", "description": "flip the grid upside down", "kind": "arc"}
MIRROR = {"code": "def transform(g):\n    return [r[::-1] for r in g]", "description": "mirror each row", "kind": "arc"}


def test_an_embed_behind_add_returns_before_the_model_runs_and_is_searchable_once_flushed(tmp_path):
    request_side, writer = Counting(), Counting()
    cfg = StoreConfig(location=str(tmp_path / "store"), index_write_behind_ms=60_000, index_embed_behind=True)
    with SkillStore(cfg, embedder=request_side, index_embedder=writer) as store:
        sid = store.add([FLIP]).added[0]
        assert request_side.calls == [] and writer.calls == []  # no model call on the add's path
        # the ledger has it at once: get, dedup and the pending count never wait for the index
        assert store.get(sid).description == "flip the grid upside down"
        assert store.add([FLIP]).duplicates == {0: sid}
        assert store.vectors.pending() == 1 and store.vectors.existing("default", [sid]) == {sid}
        assert sid not in [h.skill.id for h in store.retrieve("turn the grid upside down", k=5)]  # not yet
        mid = store.add([MIRROR]).added[0]
        assert store.wait_indexed(timeout=60)
        assert writer.calls == [["flip the grid upside down", "mirror each row"]]  # one batch for the window
        assert store.retrieve("turn the grid upside down", k=1)[0].skill.id == sid
        assert store.retrieve("reverse every row", k=1)[0].skill.id == mid
        assert store.vectors.inner.count("default") == 2 and store.vectors.writes == 1


def test_a_failed_background_embedding_keeps_the_skill_and_is_retried(tmp_path, caplog):
    writer = Counting(down=True)
    cfg = StoreConfig(location=str(tmp_path / "store"), index_write_behind_ms=10, index_embed_behind=True)
    with SkillStore(cfg, index_embedder=writer) as store:
        store.vectors.retry_s = 0.05
        with caplog.at_level("WARNING"):
            sid = store.add([FLIP]).added[0]
            assert not store.wait_indexed(timeout=0.5)
        assert "model unavailable" in str(store.vectors.last_error) and "will retry" in caplog.text
        assert len(writer.calls) >= 2 and store.get(sid)  # retried; the ledger row stays
        writer.down = False
        assert store.wait_indexed(timeout=60) and store.vectors.last_error is None
        assert store.retrieve("turn the grid upside down", k=1)[0].skill.id == sid


def test_when_the_writer_is_behind_the_request_embeds_its_own_skill(tmp_path):
    """The backlog of texts waiting for the writer is bounded: past it, adds embed in the request
    again (searchable at once), so the time until a new skill is searchable cannot grow forever."""
    request_side, writer = Counting(), Counting()
    writer.gate = threading.Event()  # the writer's model calls hang until released: it stays behind
    cfg = StoreConfig(location=str(tmp_path / "store"), index_write_behind_ms=600_000, index_embed_behind=True)
    with SkillStore(cfg, embedder=request_side, index_embedder=writer) as store:
        store.vectors.max_backlog = 2
        a, b = store.add([FLIP]).added[0], store.add([MIRROR]).added[0]
        assert request_side.calls == [] and not store.vectors.has_room()
        c = store.add([{"code": "def transform(g):\n    return [list(r) for r in zip(*g)]",
                        "description": "transpose the grid", "kind": "arc"}]).added[0]
        assert request_side.calls == [["transpose the grid"]]  # embedded in the request...
        assert store.retrieve("swap rows and columns", k=1)[0].skill.id == c  # ...so searchable at once
        assert store.vectors.pending() == 3
        writer.gate.set()
    assert sorted(t for call in writer.calls for t in call) == ["flip the grid upside down", "mirror each row"]
    assert ChromaIndex(cfg.location).existing("default", [a, b, c]) == {a, b, c}  # close() indexed the rest


def test_flush_waits_for_what_was_added_before_it_not_for_later_adds(tmp_path):
    idx = WriteBehindIndex(ChromaIndex(str(tmp_path / "chroma")), delay_s=0.05, embedder=Counting())
    idx.add_texts("default", ["first"], ["sort the numbers"])
    stop = threading.Event()

    def keep_adding():  # steady load: the buffer is never empty
        i = 0
        while not stop.is_set():
            idx.add_texts("default", [f"later{i}"], [f"later text {i}"])
            i += 1
            stop.wait(0.005)

    t = threading.Thread(target=keep_adding)
    t.start()
    try:
        assert idx.flush(timeout=60)
        assert idx.inner.existing("default", ["first"]) == {"first"}
    finally:
        stop.set()
        t.join()
    idx.close()
    assert idx.pending() == 0


def test_a_text_deleted_before_it_is_embedded_is_never_indexed(tmp_path):
    idx = WriteBehindIndex(ChromaIndex(str(tmp_path / "chroma")), delay_s=60, embedder=Counting())
    idx.add_texts("default", ["a", "b"], ["sort the numbers", "reverse the list"])
    idx.delete("default", ["a"])
    assert idx.flush(timeout=60)
    assert idx.inner.existing("default", ["a", "b"]) == {"b"}
    idx.close()


def test_embed_behind_needs_a_write_behind_window_and_an_embedder(tmp_path):
    with pytest.raises(ValueError, match="index_write_behind_ms"):
        StoreConfig(location=str(tmp_path / "s"), index_embed_behind=True)
    idx = WriteBehindIndex(ChromaIndex(str(tmp_path / "c")), delay_s=1)
    with pytest.raises(Exception, match="embedder"):
        idx.add_texts("default", ["a"], ["text"])
    idx.close()
