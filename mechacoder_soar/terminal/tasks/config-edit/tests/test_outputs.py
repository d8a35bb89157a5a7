import configparser
from pathlib import Path

ORIGINAL = """# service configuration
[server]
host = 0.0.0.0
port = 8080
workers = 2
; keep-alive in seconds
keepalive = 5

[logging]
level = info
file = /var/log/service.log

[client]
port = 7070
level = warn
"""


def read():
    cp = configparser.ConfigParser()
    cp.read("/app/service.conf")
    return cp


def test_server_values():
    """[server] port is 9090 and workers is 8."""
    cp = read()
    assert cp["server"]["port"] == "9090"
    assert cp["server"]["workers"] == "8"


def test_logging_level():
    """[logging] level is debug."""
    assert read()["logging"]["level"] == "debug"


def test_other_lines_untouched():
    """Every other line, including [client]'s port and level, is unchanged."""
    got = Path("/app/service.conf").read_text().splitlines()
    want = ORIGINAL.splitlines()
    assert len(got) == len(want)
    changed = {i for i, (a, b) in enumerate(zip(got, want)) if a != b}
    assert changed == {3, 4, 9}
