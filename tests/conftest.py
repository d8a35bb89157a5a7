import os
import sys
import uuid
from pathlib import Path

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable

# Every test of the memory backend itself (tests/skills_store) that uses the `store` fixture runs
# against each of these backends, unless it is marked `@pytest.mark.store_backends("embedded")`.
# Tests of the engines above it use the embedded store only: the backend is the store's concern,
# and running the whole suite twice would double CI time for no extra coverage.
STORE_BACKENDS = ("embedded", "server")
STORE_TESTS = ROOT / "tests" / "skills_store"


def pytest_configure(config):
    config.addinivalue_line("markers", "store_backends(*names): limit the `store` fixture to these backends")


def pytest_generate_tests(metafunc):
    if "store_backend" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("store_backends")
        if marker:
            backends = marker.args
        elif Path(str(metafunc.definition.fspath)).is_relative_to(STORE_TESTS):
            backends = STORE_BACKENDS
        else:
            backends = ("embedded",)
        unknown = set(backends) - set(STORE_BACKENDS)
        if unknown:
            raise ValueError(f"unknown store backends {sorted(unknown)}; known: {STORE_BACKENDS}")
        metafunc.parametrize("store_backend", list(backends), indirect=True)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """One Chroma server (`chroma run`) on a free loopback port for the whole session."""
    from mechacoder_soar.distributed.chroma_server import ChromaServer

    root = tmp_path_factory.mktemp("chroma-server")
    with ChromaServer(root / "data", log_path=root / "chroma.log") as url:
        yield url


@pytest.fixture
def store_backend(request) -> str:
    return getattr(request, "param", "embedded")


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def store_config(store_backend: str, store_dir: Path, request):
    """Embedded: Chroma and the ledger in `store_dir`. Server: Chroma in the shared session server,
    the ledger (and its lock) in this test's `store_dir`, and a namespace of its own so the tests
    sharing one server stay independent."""
    from skills_store import StoreConfig

    if store_backend == "embedded":
        return StoreConfig(location=str(store_dir))
    url = request.getfixturevalue("chroma_server")
    return StoreConfig(location=url, ledger_dir=str(store_dir), namespace=f"t{uuid.uuid4().hex[:12]}")


@pytest.fixture
def store(store_config):
    from skills_store.store import SkillStore

    s = SkillStore(store_config)
    yield s
    s.close()


@pytest.fixture
def library(store):
    """A store holding two tiny seed skills: what the loop tests retrieve, show and credit."""
    store.add([{"code": "def transform(grid):\n    return grid", "description": "identity: copy the grid", "kind": "arc", "source": "seed"},
               {"code": "def transform(grid):\n    return grid[::-1]", "description": "flip the grid upside down", "kind": "arc", "source": "seed"}])
    return store
