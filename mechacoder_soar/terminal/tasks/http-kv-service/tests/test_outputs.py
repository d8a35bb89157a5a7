import json
import urllib.error
import urllib.request

BASE = "http://127.0.0.1:8765"


def call(method, path, body=None):
    req = urllib.request.Request(BASE + path, data=body, method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_health():
    """GET /health is 200 with {"status": "ok"}."""
    code, body = call("GET", "/health")
    assert code == 200 and json.loads(body) == {"status": "ok"}


def test_put_get_roundtrip():
    """PUT stores text (201), GET returns it (200)."""
    assert call("PUT", "/kv/greeting", "héllo wörld".encode())[0] == 201
    code, body = call("GET", "/kv/greeting")
    assert code == 200 and body.decode() == "héllo wörld"


def test_missing_key_404():
    """Unknown keys are 404."""
    assert call("GET", "/kv/nope")[0] == 404


def test_list_and_delete():
    """GET /kv lists keys sorted; DELETE removes (204), then 404."""
    call("PUT", "/kv/b", b"2")
    call("PUT", "/kv/a", b"1")
    code, body = call("GET", "/kv")
    keys = json.loads(body)
    assert code == 200 and keys == sorted(keys) and {"a", "b"} <= set(keys)
    assert call("DELETE", "/kv/a")[0] == 204
    assert call("GET", "/kv/a")[0] == 404
    assert call("DELETE", "/kv/a")[0] == 404
