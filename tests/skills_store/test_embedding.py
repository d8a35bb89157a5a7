"""Embeddings: the ONNX export reproduces sentence-transformers' vectors, is made once and reused,
survives a corrupt cache, and the torch backend stays available."""
import subprocess
import sys

import numpy as np
import pytest

from skills_store import embedding as E

TEXTS = ["flip the grid left to right", "Sort the lines of /app/names.txt into /app/sorted.txt",
         "word " * 400,  # past the 256-token limit: truncated the same way by both backends
         "", "ünïcödé → 色", "recolour every object by its size"]


@pytest.fixture
def own_cache(tmp_path, monkeypatch):
    """A private cache directory and fresh per-process state, so the export really happens here."""
    monkeypatch.setenv("SOAR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SOAR_EMBED_BACKEND", raising=False)
    E._onnx_model.cache_clear()
    yield tmp_path / "cache"
    E._onnx_model.cache_clear()


def test_backends_agree(own_cache):
    onnx = E.Embedder(backend="onnx")
    torch_ = E.Embedder(backend="torch")
    a, b = onnx.embed(TEXTS), torch_.embed(TEXTS)
    assert onnx.backend == "onnx" and torch_.backend == "torch"
    assert a.shape == b.shape == (len(TEXTS), E.DIM) and a.dtype == np.float32
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert np.abs(a - b).max() < 1e-4
    # a batch is the same as one text at a time (padding does not leak into the pooled vector)
    single = np.stack([onnx.embed([t])[0] for t in TEXTS])
    assert np.abs(single - a).max() < 1e-5
    assert onnx.embed([]).shape == (0, E.DIM)


def test_one_thread_per_call_gives_the_same_vectors(own_cache):
    """A server runs its model calls single-threaded (several at once): same vectors, own session."""
    one, default = E.Embedder(threads=1), E.Embedder()
    assert np.abs(one.embed(TEXTS) - default.embed(TEXTS)).max() < 1e-5
    assert E._onnx_model(1) is not E._onnx_model(0) and E._onnx_model(1) is E._onnx_model(1)
    assert E._onnx_model(1).session.get_session_options().intra_op_num_threads == 1
    with pytest.raises(ValueError, match="threads"):
        E.Embedder(threads=-1)


def test_export_is_made_once_and_reused(own_cache):
    E.Embedder().embed(["x"])
    [f] = list(own_cache.rglob("*.onnx"))
    stamp = f.stat().st_mtime_ns
    E._onnx_model.cache_clear()
    assert E.Embedder().backend == "onnx"
    assert f.stat().st_mtime_ns == stamp  # loaded, not exported again
    assert not list(own_cache.rglob("*.tmp"))  # written atomically


def test_corrupt_cache_falls_back_then_recovers(own_cache, caplog):
    path = E.onnx_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not an onnx model")
    with caplog.at_level("WARNING"):
        emb = E.Embedder()
        v = emb.embed(["flip the grid"])
    assert emb.backend == "torch" and v.shape == (1, E.DIM)  # still embeds
    assert not path.exists()  # the bad file is gone, so the next process re-exports
    E._onnx_model.cache_clear()
    assert E.Embedder().backend == "onnx" and path.exists()
    with pytest.raises(ValueError, match="backend"):
        E.Embedder(backend="tensorflow")


def test_cached_export_needs_no_torch(own_cache):
    E.Embedder().embed(["warm the cache"])
    code = ("import sys; from skills_store.embedding import Embedder; e = Embedder(); e.embed(['a']); "
            "print(e.backend, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**__import__("os").environ, "SOAR_CACHE_DIR": str(own_cache)})
    assert out.stdout.split() == ["onnx", "False"]


class CountingEmbedder:
    """A test double that records which texts reached the model."""

    batch_size = 8

    def __init__(self):
        self.seen: list[str] = []

    def embed(self, texts):
        self.seen += texts
        return np.stack([np.full(E.DIM, float(len(t)), dtype=np.float32) for t in texts])


def test_cache_embeds_each_text_once_and_returns_it_in_order():
    inner = CountingEmbedder()
    emb = E.CachingEmbedder(inner, max_texts=10)
    a = emb.embed(["ab", "abc", "ab"])
    assert inner.seen == ["ab", "abc"]  # a text repeated within a call is embedded once
    b = emb.embed(["abc", "abcd"])
    assert inner.seen == ["ab", "abc", "abcd"]  # only the new text reaches the model
    assert [v[0] for v in a] == [2, 3, 2] and [v[0] for v in b] == [3, 4]
    assert (emb.hits, emb.misses) == (2, 3)
    assert emb.embed([]).shape == (0, E.DIM)


def test_cache_evicts_the_least_recently_used_text():
    inner = CountingEmbedder()
    emb = E.CachingEmbedder(inner, max_texts=2)
    emb.embed(["a"]), emb.embed(["bb"]), emb.embed(["a"])  # "a" used last
    emb.embed(["ccc"])  # evicts "bb", keeps "a"
    inner.seen.clear()
    emb.embed(["a", "bb"])
    assert inner.seen == ["bb"]
    with pytest.raises(ValueError, match="max_texts"):
        E.CachingEmbedder(inner, max_texts=0)
    with pytest.raises(ValueError, match="cache size"):
        E.with_cache(inner, -1)
    assert E.with_cache(inner, 0) is inner


def test_a_cached_vector_is_the_models_vector():
    emb = E.CachingEmbedder(E.Embedder())
    first = emb.embed(TEXTS)
    again = emb.embed(list(reversed(TEXTS)))[::-1]
    assert emb.hits == len(TEXTS) and np.abs(first - again).max() == 0
    assert np.abs(first - E.Embedder().embed(TEXTS)).max() < 1e-5
