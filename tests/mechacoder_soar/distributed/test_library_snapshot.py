"""The snapshot a search worker gets answers retrievals exactly as the store it was taken from
(embedded and server-backed store alike), and refuses writes."""
import pickle

import pytest

from mechacoder_soar.distributed.library_snapshot import LibrarySnapshot, ReadOnlyLibraryError

SKILLS = [
    {"code": "def transform(g):\n    return g[::-1]", "description": "flip the grid upside down", "kind": "arc", "source": "seed"},
    {"code": "def transform(g):\n    return [r[::-1] for r in g]", "description": "mirror each row left to right", "kind": "arc", "source": "seed"},
    {"code": "def transform(g):\n    return [[2 if v == 1 else v for v in r] for r in g]", "description": "recolour blue cells to red", "kind": "arc", "source": "solved"},
    {"code": "def f(s):\n    return s[::-1]", "description": "reverse a string", "kind": "code", "source": "solved"},
    {"code": "def transform(g):\n    return [list(r) for r in zip(*g)]", "description": "transpose the grid: rows become columns", "kind": "arc", "source": "hindsight"},
]


def _ids(hits):
    return [(h.skill.id, round(h.score, 5)) for h in hits]


def test_snapshot_retrieval_equals_store_retrieval(store):
    ids = store.add(SKILLS).added
    for _ in range(3):
        store.record_outcome([ids[2]], "sample", True)
        store.record_outcome([ids[0]], "refine", False)
    old = store.add([dict(SKILLS[1], code="def transform(g):\n    return [list(reversed(r)) for r in g]", supersedes=ids[1])]).added[0]
    q = "turn the picture upside down"
    snap = LibrarySnapshot.of(store, queries=[q])
    snap = pickle.loads(pickle.dumps(snap))  # as shipped to a worker
    assert len(snap.skills) == 6 and snap.get(old).supersedes == ids[1]
    for call in [
        lambda lib: lib.retrieve_for_sampling(q, 3),
        lambda lib: lib.retrieve_for_sampling(q, 3, kind="arc"),
        lambda lib: lib.retrieve_for_refinement(q, "error: wrong output shape", 4),
        lambda lib: lib.retrieve("colours", "sample", 5, source="solved"),
        lambda lib: lib.retrieve("rows", "refine", 2, exclude=[old]),
    ]:
        assert _ids(call(snap)) == _ids(call(store))
    assert ids[1] not in [h.skill.id for h in snap.retrieve("mirror rows", k=6)]  # superseded
    assert snap.retrieve(q, k=0) == []
    assert {s.id for s in snap.all()} == {s.id for s in store.all()}


def test_snapshot_is_read_only_and_names_its_namespace(store):
    store.add(SKILLS[:1])
    snap = LibrarySnapshot.of(store)
    with pytest.raises(ReadOnlyLibraryError, match="learning .* happens centrally"):
        snap.add(SKILLS[1:2])
    with pytest.raises(ReadOnlyLibraryError):
        snap.record_outcome(["x"], "sample", True)
    with pytest.raises(ValueError, match="not 'other'"):
        snap.retrieve("x", namespace="other")
    with pytest.raises(KeyError, match="sk_missing"):
        snap.get("sk_missing")
