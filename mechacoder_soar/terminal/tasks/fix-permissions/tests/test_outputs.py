import stat
from pathlib import Path


def mode(p):
    return stat.S_IMODE(Path(p).stat().st_mode)


def test_scripts_executable():
    """Each bin/*.sh is 0755."""
    for name in ("start.sh", "stop.sh"):
        assert mode(f"/app/bin/{name}") == 0o755


def test_other_bin_file_untouched():
    """bin/README is not a script: its mode stays 0640."""
    assert mode("/app/bin/README") == 0o640


def test_secret_key_private():
    """secret.key is 0600."""
    assert mode("/app/secret.key") == 0o600


def test_data_not_world_writable_other_bits_kept():
    """Only the world-write bit was removed under /app/data."""
    want = {
        "/app/data": 0o775, "/app/data/uploads": 0o775, "/app/data/cache": 0o755,
        "/app/data/a.txt": 0o664, "/app/data/cache/b.txt": 0o644, "/app/data/uploads/c.txt": 0o604,
    }
    assert {p: mode(p) for p in want} == want
