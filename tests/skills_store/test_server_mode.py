"""Server mode specifics: Chroma behind `chroma run`, the ledger (and its lock) with the memory
service in `ledger_dir`. The shared behaviour runs against both backends in test_store.py."""
import pytest

from skills_store import StoreConfig, StoreError, StoreLockedError
from skills_store.store import SkillStore
from skills_store.vectors import collection_name

FLIP = {"code": "def transform(g):\n    return g[::-1]", "description": "flip the grid upside down", "source": "seed"}
RECOLOUR = {"code": "def transform(g):\n    return [[2 if v == 1 else v for v in r] for r in g]",
            "description": "recolour every blue cell to red", "source": "solved"}

pytestmark = pytest.mark.store_backends("server")


def test_reopen_through_the_server_keeps_skills_and_counters(store, store_config):
    sid = store.add([FLIP]).added[0]
    store.record_outcome([sid], "refine", True)
    store.close()
    with SkillStore(store_config) as again:
        sk = again.get(sid)
        assert sk.refine_uses == 1 and sk.refine_ema == 1.0
        assert again.retrieve("turn it upside down", k=1)[0].skill.id == sid
        assert again.stats()["location"].startswith("http://127.0.0.1:")


def test_vectors_lost_on_the_server_are_reindexed_from_the_ledger(store, store_config):
    """The ledger is the source of truth: a wiped server collection is rebuilt on next open."""
    ids = store.add([FLIP, RECOLOUR]).added
    store.vectors.client.delete_collection(collection_name(store.namespace))
    store.close()
    with SkillStore(store_config) as again:
        assert again.retrieve("blue to red", k=1)[0].skill.id == ids[1]
        assert again.stats()["indexed"] == 2


def test_one_memory_service_per_ledger_dir(store, store_config):
    with pytest.raises(StoreLockedError, match="in use by pid"):
        SkillStore(store_config)


def test_unreachable_server_names_its_url(tmp_path):
    from mechacoder_soar.distributed.chroma_server import free_port

    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StoreError, match=f"cannot reach the Chroma server at {url}.*chroma run"):
        SkillStore(StoreConfig(location=url, ledger_dir=str(tmp_path / "ledger")))
    # the lock was released: a later open of the same ledger_dir is not refused as "in use"
    with pytest.raises(StoreError, match="cannot reach"):
        SkillStore(StoreConfig(location=url, ledger_dir=str(tmp_path / "ledger")))
