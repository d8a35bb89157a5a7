"""The store as a coding agent relies on it: real Chroma on disk, real MiniLM embeddings."""
import json
import subprocess
import textwrap

import pytest

from skills_store import InvalidInputError, SkillNotFoundError, StoreConfig, StoreLockedError
from skills_store.embedding import DIM
from skills_store.store import SkillStore
from skills_store.vectors import collection_name
from tests.conftest import PYTHON, ROOT

FLIP = {"code": "def transform(g):\n    return g[::-1]", "description": "flip the grid upside down (vertical mirror)",
        "kind": "arc", "source": "seed"}
MIRROR = {"code": "def transform(g):\n    return [r[::-1] for r in g]",
          "description": "mirror each row left to right (horizontal flip)", "kind": "arc", "source": "seed"}
RECOLOUR = {"code": "def transform(g):\n    return [[2 if v == 1 else v for v in r] for r in g]",
            "description": "recolour every blue cell to red", "kind": "arc", "source": "solved"}


def test_add_get_and_retrieve_by_meaning(store):
    res = store.add([FLIP, MIRROR, RECOLOUR])
    assert len(res.added) == 3 and not res.duplicates
    got = store.get(res.added[2])
    assert got.code == RECOLOUR["code"]  # stored verbatim
    top = store.retrieve("change the colour blue into red", k=1)
    assert top[0].skill.id == res.added[2]
    top = store.retrieve("turn the picture upside down", k=1)
    assert top[0].skill.id == res.added[0]


def test_the_index_holds_vectors_only_and_the_ledger_holds_the_text(store):
    # One copy of every text: Chroma keeps ids and vectors (what the nearest-neighbour query
    # needs), the ledger keeps the rest, so nothing in the index can go stale.
    sid = store.add([FLIP]).added[0]
    col = store.vectors.client.get_collection(collection_name(store.config.namespace), embedding_function=None)
    got = col.get(ids=[sid], include=["documents", "metadatas", "embeddings"])
    assert got["ids"] == [sid] and len(got["embeddings"][0]) == DIM
    assert got["documents"] == [None] and got["metadatas"] == [None]
    assert store.get(sid).description == FLIP["description"]


def test_round_trip_across_processes(store_dir):
    # Embedded only (it takes `store_dir`, not `store`): two processes opening one Chroma directory in
    # turn. The server-mode round trip is in test_server_mode.py.
    script = textwrap.dedent(f"""
        import sys, json
        sys.path.insert(0, {str(ROOT)!r})
        from skills_store import StoreConfig
        from skills_store.store import SkillStore
        with SkillStore(StoreConfig(location={str(store_dir)!r})) as s:
            r = s.add([json.loads({json.dumps(json.dumps(FLIP))})])
            s.record_outcome(r.added, "refine", True)
            print(r.added[0])
    """)
    out = subprocess.run([PYTHON, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    sid = out.stdout.strip().splitlines()[-1]
    with SkillStore(StoreConfig(location=str(store_dir))) as s:
        sk = s.get(sid)
        assert sk.code == FLIP["code"] and sk.refine_uses == 1 and sk.refine_ema == 1.0
        assert s.retrieve("upside down", k=1)[0].skill.id == sid


def test_dedup_by_normalised_code_and_hindsight_output_signature(store):
    a = store.add([FLIP])
    same = dict(FLIP, code="def transform(g):\n  # reversed rows\n  return g[::-1]\n\n", description="other words")
    b = store.add([same])
    assert b.added == [] and b.duplicates == {0: a.added[0]}
    h1 = {"code": "def transform(g):\n    return [r[:1] for r in g]", "description": "keep first column",
          "source": "hindsight", "output_signature": "sig-1"}
    h2 = dict(h1, code="def transform(g):\n    return [[r[0]] for r in g]")
    r = store.add([h1, h2])
    assert len(r.added) == 1 and r.duplicates == {1: r.added[0]}
    # A solved skill with the same outputs is not a hindsight duplicate.
    r2 = store.add([dict(h2, source="solved")])
    assert len(r2.added) == 1
    assert store.stats()["skills"] == 3


def test_get_many_returns_the_known_ids_only(store):
    a, b = store.add([FLIP, MIRROR]).added
    got = store.get_many([b, "sk_missing", a, b])
    assert set(got) == {a, b} and got[a].code == FLIP["code"]
    assert store.get_many([]) == {} and store.get_attempt("never-recorded") is None


def test_supersede_hides_old_version_but_keeps_it(store):
    old = store.add([RECOLOUR]).added[0]
    better = dict(RECOLOUR, code="def transform(g):\n    import numpy as np\n    a = np.array(g)\n    a[a == 1] = 2\n    return a.tolist()",
                  supersedes=old)
    new = store.add([better]).added[0]
    ids = [h.skill.id for h in store.retrieve("recolour blue to red", k=5)]
    assert new in ids and old not in ids
    assert store.get(old).superseded_by == new
    assert [e.kind for e in store.history(old)] == ["added", "superseded"]
    with pytest.raises(InvalidInputError, match="unknown id"):
        store.add([dict(FLIP, supersedes="sk_nope")])


def test_outcomes_change_ranking_order(store):
    ids = store.add([
        {"code": "def transform(g):\n    return g[::-1]", "description": "flip grid vertically", "source": "seed"},
        {"code": "def transform(g):\n    return list(reversed(g))", "description": "flip grid vertically, reversed rows", "source": "seed"},
    ]).added
    q = "flip grid vertically"
    before = [h.skill.id for h in store.retrieve(q, k=2)]
    loser, winner = before[0], before[1]
    for _ in range(10):
        store.record_outcome([winner], "sample", True)
        store.record_outcome([loser], "sample", False)
    after = [h.skill.id for h in store.retrieve(q, k=2)]
    assert after[0] == winner
    # The refinement ranking has its own EMA and is untouched by sampling outcomes.
    assert store.get(winner).refine_uses == 0


# Embedded only: the message under test names embedded Chroma's one-process-per-directory rule. The
# server-mode lock (one memory service per ledger_dir) is tested in test_server_mode.py.
@pytest.mark.store_backends("embedded")
def test_lock_refuses_second_writer(store, store_dir):
    script = f"import sys; sys.path.insert(0, {str(ROOT)!r})\nfrom skills_store.lock import DirectoryLock\nDirectoryLock({str(store_dir)!r}).acquire()"
    out = subprocess.run([PYTHON, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "in use by pid" in out.stderr
    with pytest.raises(StoreLockedError, match="one process per directory"):
        SkillStore(StoreConfig(location=str(store_dir)))


def test_malformed_input_rejected_and_store_untouched(store):
    store.add([FLIP])
    before = store.stats()
    for bad, msg in [
        ({"code": "", "description": "x"}, "code"),
        ({"code": "x", "description": 3}, "description"),
        ({"code": "x", "description": "y", "source": "magic"}, "source"),
        ({"code": "x", "description": "y", "surprise": 1}, "surprise"),
        ({"code": "x\x00", "description": "y"}, "NUL"),
    ]:
        with pytest.raises(InvalidInputError, match=msg):
            store.add([MIRROR, bad])  # a valid record in the same batch is not written either
    assert store.stats() == before
    with pytest.raises(SkillNotFoundError):
        store.record_outcome([store.retrieve("flip", k=1)[0].skill.id, "sk_missing"], "sample", True)
    assert store.stats() == before  # the known id's counter did not move either
    with pytest.raises(InvalidInputError, match="mode"):
        store.record_outcome([], "explore", True)  # type: ignore[arg-type]
    flip_id = store.retrieve("flip", k=1)[0].skill.id
    for bad in (1.5, -0.1, "yes", None, float("nan")):
        with pytest.raises(InvalidInputError, match="success"):
            store.record_outcome([flip_id], "sample", bad)  # type: ignore[arg-type]
        with pytest.raises(InvalidInputError, match="success"):
            store.record_attempt("a1", {"code": "x"}, [flip_id], "refine", bad)  # type: ignore[arg-type]
    assert store.stats() == before
    with pytest.raises(ValueError, match="namespace"):
        store.add([FLIP], namespace="../etc")


def test_a_filtered_retrieval_is_not_crowded_out(store):
    # Thousands of learned skills describing similar tasks must not hide the few seed skills from a
    # `source="seed"` query: the proposer takes its primitive order from them.
    seeds = [{"code": f"def transform(g):\n    return g[{i}:]", "description": d, "kind": "arc", "source": "seed"}
             for i, d in enumerate(["count the coloured cells", "flip the grid upside down", "fill enclosed holes"])]
    learned = [{"code": f"def transform(g):\n    return [r[::-1] for r in g][{i}:]", "kind": "arc", "source": "solved",
                "description": f"rotate the grid by 90 degrees then recolour, solved task {i}"} for i in range(400)]
    store.add(seeds + learned)
    got = store.retrieve("rotate the grid by 90 degrees", k=3, source="seed")
    assert sorted(h.skill.description for h in got) == sorted(s["description"] for s in seeds)
    assert all(h.skill.source == "solved" for h in store.retrieve("rotate the grid by 90 degrees", k=3))


def test_namespaces_are_isolated(store):
    store.add([FLIP], namespace="team-a")
    assert store.retrieve("upside down", k=3, namespace="team-b") == []
    assert store.stats("team-a")["skills"] == 1


def test_export_import_round_trip_and_bad_bundle(store, tmp_path):
    ids = store.add([FLIP, MIRROR]).added
    store.record_outcome([ids[0]], "sample", True)
    path = tmp_path / "b.jsonl"
    assert store.export(path) == 2
    res = store.import_(path, namespace="copy")
    assert len(res.added) == 2
    assert store.get(ids[0], namespace="copy").sampling_uses == 1
    bad = tmp_path / "bad.jsonl"
    lines = path.read_text().splitlines()
    bad.write_text("\n".join([lines[0], lines[1], '{"id": 1}']) + "\n")
    from skills_store import BundleError
    with pytest.raises(BundleError, match=r"bad.jsonl:3"):
        store.import_(bad, namespace="other")
    assert store.stats("other")["skills"] == 0


def test_concurrent_adds_are_committed_together_and_all_land(store, monkeypatch):
    """A server's request threads add at once: their skills are committed in fewer Chroma writes
    than callers, each caller gets its own ids, and a skill two threads add is stored once."""
    import threading

    calls = []
    real_add = store.vectors.add

    def counting_add(ns, ids, *a, **kw):
        calls.append(len(ids))
        return real_add(ns, ids, *a, **kw)

    monkeypatch.setattr(store.vectors, "add", counting_add)
    results = {}

    def add(i):
        code = "def transform(g):\n    return g" if i % 4 == 0 else f"def transform(g):\n    return [[{i}] * 3]"
        results[i] = store.add([{"code": code, "description": f"skill number {i}", "kind": "arc"}])

    ts = [threading.Thread(target=add, args=(i,)) for i in range(16)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    ids = {i: (r.added or list(r.duplicates.values()))[0] for i, r in results.items()}
    shared = {ids[i] for i in range(0, 16, 4)}
    assert len(shared) == 1  # the same code from four threads: one skill
    assert sum(len(r.added) for r in results.values()) == 13 == sum(calls)
    assert len(calls) < 13  # merged commits
    assert store.stats()["skills"] == 13 and store.stats()["indexed"] == 13
    for i in range(1, 16):
        if i % 4:
            assert store.get(ids[i]).description == f"skill number {i}"


def test_bad_supersedes_in_one_call_fails_that_call_only(store):
    ok = store.add([{**FLIP}])
    with pytest.raises(InvalidInputError, match="supersedes unknown id"):
        store.add([{**MIRROR}, {**RECOLOUR, "supersedes": "sk_nope"}])
    assert store.stats()["skills"] == 1 and ok.added
