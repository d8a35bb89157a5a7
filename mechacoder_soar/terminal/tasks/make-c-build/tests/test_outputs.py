import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """A copy of /app, so the checks do not depend on each other's builds."""
    d = tmp_path_factory.mktemp("b") / "app"
    shutil.copytree("/app", d, symlinks=True)
    return d


def make(app, *args):
    return subprocess.run(["make", *args], cwd=app, capture_output=True, text=True)


def test_binary_was_built():
    """The attempt left a working /app/stats."""
    out = subprocess.run(["/app/stats", "4", "1", "3"], capture_output=True, text=True)
    assert out.stdout.strip() == "n=3 min=1 max=4 mean=2.67"


def test_clean_then_build_without_warnings(app):
    """make clean removes the outputs; make rebuilds with objects in build/, warning-free."""
    assert make(app, "clean").returncode == 0
    assert not (app / "stats").exists() and not (app / "build").exists()
    r = make(app)
    assert r.returncode == 0, r.stderr
    assert "warning" not in (r.stdout + r.stderr).lower()
    assert sorted(p.name for p in (app / "build").glob("*.o")) == ["main.o", "stats.o"]
    out = subprocess.run([str(app / "stats"), "10", "-2"], capture_output=True, text=True)
    assert out.stdout.strip() == "n=2 min=-2 max=10 mean=4.00"


def test_incremental_rebuild(app):
    """Touching stats.c recompiles stats.o only."""
    assert make(app).returncode == 0
    main_o = app / "build" / "main.o"
    stats_o = app / "build" / "stats.o"
    old = time.time() - 100
    for src in ("main.c", "stats.c", "stats.h"):
        os.utime(app / "src" / src, (old - 100, old - 100))
    os.utime(main_o, (old, old))
    os.utime(stats_o, (old, old))
    os.utime(app / "stats", (old, old))
    Path(app / "src" / "stats.c").touch()
    assert make(app).returncode == 0
    assert stats_o.stat().st_mtime > old + 50
    assert main_o.stat().st_mtime == pytest.approx(old, abs=1)
