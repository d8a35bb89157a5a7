"""The exact index: an embedded store searches its namespaces exactly, on an in-memory copy of the
vectors kept in step with Chroma (real Chroma on disk)."""
import numpy as np
import pytest

from skills_store import StoreConfig
from skills_store.exact import ExactIndex
from skills_store.store import SkillStore
from skills_store.vectors import ChromaIndex

rng = np.random.default_rng(0)


def unit(m: np.ndarray) -> np.ndarray:
    return (m / np.linalg.norm(m, axis=1, keepdims=True)).astype(np.float32)


class Spy:
    """Wraps the real index, counting the searches it serves."""

    def __init__(self, inner):
        self.inner, self.queries = inner, 0

    def query(self, *a):
        self.queries += 1
        return self.inner.query(*a)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_every_stored_vector_is_its_own_nearest_hit(tmp_path):
    """What HNSW does not promise: a dense cluster of descriptions plus outliers far from all of
    it, added in small batches as a server does; each outlier must come back for its own vector
    (Chroma's HNSW alone returned 15 of these 300 outliers for none of their own vectors)."""
    inner = ChromaIndex(str(tmp_path / "chroma"))
    centre = rng.standard_normal(384)
    cluster = unit(centre + 0.3 * rng.standard_normal((3000, 384)))
    outliers = unit(rng.standard_normal((300, 384)))
    inner.add("default", [f"c{i}" for i in range(3000)], cluster)
    for i in range(0, 300, 30):
        inner.add("default", [f"o{j}" for j in range(i, i + 30)], outliers[i : i + 30])
    exact = ExactIndex(inner)
    found = [exact.query("default", v, 5)[0].id for v in outliers]
    assert found == [f"o{j}" for j in range(300)]
    hits = exact.query("default", cluster[7], 40)
    assert hits[0].id == "c7" and abs(hits[0].distance) < 1e-5
    assert [h.distance for h in hits] == sorted(h.distance for h in hits) and len(hits) == 40
    # the same distances Chroma reports (1 - cos), so either path ranks alike
    chroma = {h.id: h.distance for h in inner.query("default", cluster[7], 40)}
    assert all(abs(chroma[h.id] - h.distance) < 1e-4 for h in hits if h.id in chroma)
    assert np.allclose(hits[0].embedding, cluster[7], atol=1e-6)


def test_the_copy_follows_adds_and_deletes_before_and_after_it_is_loaded(tmp_path):
    spy = Spy(ChromaIndex(str(tmp_path / "chroma")))
    exact = ExactIndex(spy)
    v = unit(rng.standard_normal((4, 384)))
    exact.add("default", ["a", "b"], v[:2])  # before the first search: read from Chroma on load
    assert exact.query("default", v[0], 1)[0].id == "a"
    exact.add("default", ["c"], v[2:3])  # after: appended to the copy
    exact.add("default", ["c"], v[2:3])  # a re-add changes nothing, as in Chroma
    assert exact.query("default", v[2], 1)[0].id == "c" and len(exact.query("default", v[2], 10)) == 3
    exact.delete("default", ["a"])
    assert [h.id for h in exact.query("default", v[0], 10)] == [h.id for h in exact.query("default", v[0], 10)]
    assert "a" not in {h.id for h in exact.query("default", v[0], 10)} and exact.count("default") == 2
    assert exact.query("other", v[0], 5) == []  # an empty namespace
    assert spy.queries == 0  # Chroma never searched


def test_a_namespace_past_the_limit_is_searched_by_chroma(tmp_path):
    spy = Spy(ChromaIndex(str(tmp_path / "chroma")))
    exact = ExactIndex(spy, max_vectors=3)
    v = unit(rng.standard_normal((5, 384)))
    exact.add("default", ["a", "b", "c"], v[:3])
    assert exact.query("default", v[1], 1)[0].id == "b" and spy.queries == 0
    exact.add("default", ["d", "e"], v[3:])  # grows past it
    assert exact.query("default", v[4], 1)[0].id == "e" and spy.queries == 1
    big = ExactIndex(spy, max_vectors=3)  # too big already when first searched
    assert big.query("default", v[3], 1)[0].id == "d" and spy.queries == 2
    with pytest.raises(ValueError, match="limit"):
        ExactIndex(spy, max_vectors=-1)


def test_embedded_stores_search_exactly_and_the_limit_can_turn_it_off(tmp_path):
    with SkillStore(StoreConfig(location=str(tmp_path / "a"))) as s:
        assert isinstance(s.vectors, ExactIndex)
        sid = s.add([{"code": "def transform(g):\n    return g[::-1]", "description": "flip the grid upside down",
                      "kind": "arc"}]).added[0]
        assert s.retrieve("turn the grid upside down", k=1)[0].skill.id == sid
    with SkillStore(StoreConfig(location=str(tmp_path / "b"), exact_search_max=0)) as s:
        assert isinstance(s.vectors, ChromaIndex)
    with pytest.raises(ValueError, match="exact_search_max"):
        StoreConfig(location=str(tmp_path / "c"), exact_search_max=-1)


def test_every_index_is_a_vector_index_and_the_layers_wrap_each_other(tmp_path):
    """The store holds any VectorIndex: Chroma's, the exact copy over it, the write-behind buffer
    over either; all answer a search alike."""
    from skills_store.index import VectorIndex
    from skills_store.write_behind import WriteBehindIndex

    chroma = ChromaIndex(str(tmp_path / "chroma"))
    exact = ExactIndex(chroma)
    behind = WriteBehindIndex(exact, delay_s=60)
    v = unit(rng.standard_normal((2, 384)))
    behind.add("default", ["a", "b"], v)
    try:
        for idx in (chroma, exact, behind):
            assert isinstance(idx, VectorIndex)
        assert [h.id for h in behind.query("default", v[1], 2)] == ["b", "a"]  # still buffered
        assert behind.flush(timeout=30) and chroma.existing("default", ["a", "b"]) == {"a", "b"}
        assert [h.id for h in exact.query("default", v[1], 2)] == ["b", "a"] == [h.id for h in chroma.query("default", v[1], 2)]
    finally:
        behind.close()
    assert not isinstance(object(), VectorIndex)
