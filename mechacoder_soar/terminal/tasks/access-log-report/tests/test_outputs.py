import json
from pathlib import Path


def report():
    return json.loads(Path("/app/report.json").read_text())


def test_counts():
    """Totals: 9 requests from 4 IPs, 2 server errors, 10412 bytes."""
    r = report()
    assert r["total_requests"] == 9
    assert r["unique_ips"] == 4
    assert r["server_errors"] == 2
    assert r["bytes_total"] == 10412


def test_status_counts():
    """Per-status counts, keyed by the status as a string."""
    assert report()["status_counts"] == {"200": 4, "401": 1, "500": 1, "404": 1, "304": 1, "503": 1}


def test_top_ip():
    """10.0.0.1 and 10.0.0.2 tie at 3 requests; the smaller string wins."""
    assert report()["top_ip"] == "10.0.0.1"
