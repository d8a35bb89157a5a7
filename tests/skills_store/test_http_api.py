"""The REST face against real servers: `soar serve http` subprocesses on loopback, free ports."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import PYTHON, ROOT

STARTUP_TIMEOUT = 180  # loading sentence-transformers takes ~8-25 s on a busy 2-core box


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A `soar serve ...` subprocess; `wait_ready` polls /health."""

    def __init__(self, args: list[str], port: int, log: Path):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self._logf = log.open("ab")
        self.proc = subprocess.Popen([PYTHON, "-m", "mechacoder_soar", "serve", *args, "--port", str(port)],
                                     cwd=ROOT, stdout=self._logf, stderr=subprocess.STDOUT, env=env)

    def wait_ready(self, timeout: float = STARTUP_TIMEOUT) -> "Server":
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"server not ready after {timeout}s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # graceful: uvicorn shuts down, the store closes
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._logf.close()
        return self.proc.returncode


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """Both servers start at once (their model loads overlap): an open one on loopback and one
    with a tokens file."""
    d = tmp_path_factory.mktemp("http")
    tokens = d / "tokens.yaml"
    tokens.write_text("tokens:\n  alice-token-0123456789: alice\n  bob-token-0123456789abc: bob\n")
    open_ = Server(["http", "--store", str(d / "open-store")], free_port(), d / "open.log")
    authed = Server(["http", "--store", str(d / "auth-store"), "--tokens", str(tokens)], free_port(), d / "auth.log")
    try:
        yield {"open": open_.wait_ready(), "auth": authed.wait_ready(), "dir": d}
    finally:
        open_.stop()
        authed.stop()


@pytest.fixture(scope="module")
def open_client(servers):
    with httpx.Client(base_url=servers["open"].url, timeout=60) as c:
        yield c


ALICE = {"Authorization": "Bearer alice-token-0123456789"}
BOB = {"Authorization": "Bearer bob-token-0123456789abc"}
REVERSE = "def reverse_words(s):\n    return ' '.join(reversed(s.split()))"


def _attempt(c: httpx.Client, headers=None, **kw):
    body = {"task": "reverse the order of words in a sentence", "code": REVERSE, "passed": True, **kw}
    return c.post("/attempts", json=body, headers=headers or {})


def test_record_then_search_returns_ranked_skills_with_both_emas(open_client):
    c = open_client
    r = _attempt(c, tests_passed=3, tests_total=3)
    assert r.status_code == 200, r.text
    sid = r.json()["new_skill_id"]
    r2 = _attempt(c, task="reverse words again", code=REVERSE + "\n# v2", passed=False, skill_ids=[sid],
                  feedback="punctuation lost", observations=[{"input": "a b.", "output": "b. a"}])
    assert r2.status_code == 200 and r2.json()["updated_skills"] == [sid]
    assert r2.json()["new_skill_source"] == "hindsight"
    # fresh: wait for the background indexing of what was just recorded (read your own writes)
    hits = c.post("/skills/search", json={"query": "flip the word order of a string", "k": 3, "fresh": True}).json()["skills"]
    top = hits[0]
    assert top["id"] == sid and top["code"] == REVERSE
    assert (top["sampling_uses"], top["sampling_ema"], top["refine_uses"], top["refine_ema"]) == (1, 0.0, 0, 0.0)
    hist = c.get(f"/skills/{sid}/history").json()
    assert [e["kind"] for e in hist] == ["added", "outcome"]
    assert c.get(f"/skills/{sid}").json()["description"] == "reverse the order of words in a sentence"
    refine = c.post("/skills/search", json={"query": "reverse words", "mode": "refine", "feedback": "lost punctuation"})
    assert refine.status_code == 200 and refine.json()["mode"] == "refine"
    out = c.post("/outcomes", json={"skill_ids": [sid], "mode": "refine", "success": True}).json()
    assert out["updated_skills"] == [sid] and c.get(f"/skills/{sid}").json()["refine_ema"] == 1.0


def test_a_recorded_attempt_becomes_searchable_in_the_background(open_client):
    """The server embeds and indexes new skills off the request's path (--embed-behind, the
    default): a plain search finds a new skill within a fraction of a second, a fresh one at once."""
    c = open_client
    code = "def is_leap(y):\n    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)"
    sid = _attempt(c, task="tell whether a year is a leap year", code=code).json()["new_skill_id"]
    assert c.get(f"/skills/{sid}").status_code == 200  # in the ledger at once
    t0, found = time.time(), False
    while not found and time.time() - t0 < 10:
        found = sid in [h["id"] for h in c.post("/skills/search", json={"query": "is this year a leap year", "k": 3}).json()["skills"]]
    assert found, "not searchable within 10 s"
    sid2 = _attempt(c, task="tell whether a number is prime", code="def p(n):\n    return n > 1 and all(n % d for d in range(2, n))").json()["new_skill_id"]
    fresh = c.post("/skills/search", json={"query": "is n a prime number", "k": 3, "fresh": True})
    assert fresh.status_code == 200 and sid2 in [h["id"] for h in fresh.json()["skills"]]


def test_stats_export_openapi_and_not_found(open_client):
    c = open_client
    st = c.get("/stats").json()
    assert st["namespace"] == "default" and st["skills"] >= 1 and "location" not in st
    lines = c.get("/export").text.splitlines()
    assert json.loads(lines[0])["format"] == "mechacoder-soar-skills" and len(lines) == st["skills"] + 1
    paths = c.get("/openapi.json").json()["paths"]
    for p in ("/skills/search", "/attempts", "/outcomes", "/skills/{skill_id}", "/skills/{skill_id}/history",
              "/stats", "/export"):
        assert p in paths
    r = c.get("/skills/sk_does_not_exist")
    assert r.status_code == 404 and "sk_does_not_exist" in r.json()["error"]


@pytest.mark.parametrize("body, status, words", [
    ({"code": "x", "passed": True}, 422, "task"),
    ({"task": "t", "code": 12, "passed": "maybe"}, 422, "passed"),
    ({"task": "t", "code": "x", "passed": True, "tests_passed": 9, "tests_total": 2}, 422, "exceeds"),
    ({"task": "t", "code": "x", "passed": True, "skill_ids": ["sk_missing"]}, 404, "sk_missing"),
    ({"task": "t", "code": "x", "passed": True, "mode": "explore"}, 422, "mode"),
    ({"task": "t", "code": "x", "passed": True, "bogus": 1}, 422, "bogus"),
    ({"task": "t", "code": "x", "passed": False, "evaluate_inputs": [1]}, None, None),  # see below
])
def test_malformed_attempts_get_4xx_and_change_nothing(open_client, body, status, words):
    c = open_client
    before = c.get("/stats").json()
    r = c.post("/attempts", json=body)
    if status is None:  # evaluation: sandboxed executor present -> 200, absent -> clear 501
        assert r.status_code in (200, 501), r.text
        return
    assert r.status_code == status, r.text
    assert words in r.json()["error"]
    assert c.get("/stats").json() == before


def test_huge_non_utf8_and_broken_bodies(open_client):
    c = open_client
    before = c.get("/stats").json()
    huge = {"task": "t", "code": "x" * (3 * 1024 * 1024), "passed": True}
    r = c.post("/attempts", json=huge)
    assert r.status_code == 413 and "exceeds" in r.json()["error"]
    r = c.post("/attempts", content=b'{"task": "t", "code": "\xff\xfe", "passed": true}',
               headers={"content-type": "application/json"})
    assert r.status_code == 400 and "UTF-8" in r.json()["error"]
    r = c.post("/attempts", content=b'{"task": "t", "code": "\\ud800", "passed": true}',
               headers={"content-type": "application/json"})
    assert r.status_code == 422 and "code" in r.json()["error"]
    r = c.post("/attempts", content=b'{"task": "t", ', headers={"content-type": "application/json"})
    assert r.status_code == 422
    r = c.post("/skills/search", json={"query": "x", "k": 10_000})
    assert r.status_code == 422 and "k" in r.json()["error"]
    assert c.get("/stats").json() == before


def test_tokens_401_and_namespace_isolation(servers):
    with httpx.Client(base_url=servers["auth"].url, timeout=60) as c:
        assert c.get("/health").status_code == 200
        assert c.get("/stats").status_code == 401
        r = c.post("/skills/search", json={"query": "x"}, headers={"Authorization": "Bearer wrong-token-0123456789"})
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert _attempt(c).status_code == 401
        assert c.get("/stats", headers={"Authorization": "alice-token-0123456789"}).status_code == 401  # no scheme
        sid = _attempt(c, ALICE).json()["new_skill_id"]
        assert c.get("/stats", headers=ALICE).json() == c.get("/stats", headers=ALICE).json()
        assert c.get("/stats", headers=ALICE).json()["namespace"] == "alice"
        # Bob can neither see, search, update nor export Alice's skill.
        assert c.get(f"/skills/{sid}", headers=BOB).status_code == 404
        assert c.post("/skills/search", json={"query": "reverse words"}, headers=BOB).json()["skills"] == []
        assert c.post("/outcomes", json={"skill_ids": [sid], "mode": "sample", "success": True}, headers=BOB).status_code == 404
        assert _attempt(c, BOB, passed=False, skill_ids=[sid]).status_code == 404
        assert len(c.get("/export", headers=BOB).text.splitlines()) == 1
        assert c.get("/stats", headers=BOB).json()["skills"] == 0
        assert c.get(f"/skills/{sid}", headers=ALICE).json()["sampling_uses"] == 0
        # Bob recording the same code makes Bob's own skill, in Bob's namespace.
        assert _attempt(c, BOB).json()["new_skill_id"] == sid
        assert c.get("/stats", headers=BOB).json()["skills"] == 1


@pytest.mark.slow
def test_concurrency_hammer_loses_no_update(open_client, servers):
    """8 clients in parallel: 1,000 report_outcome calls each plus record_attempt calls (the full
    8x1,000 record_attempt run is in benchmarks/server_bench.py). Final counters equal the sums."""
    c = open_client
    ids = [_attempt(c, task=f"hammer skill {i}", code=f"def f{i}(x):\n    return x + {i}").json()["new_skill_id"]
           for i in range(2)]
    n_threads, n_outcomes, n_attempts = 8, 1000, 100
    errors: list[str] = []

    def client(t: int) -> None:
        with httpx.Client(base_url=servers["open"].url, timeout=60) as hc:
            for j in range(n_outcomes):
                r = hc.post("/outcomes", json={"skill_ids": [ids[0]], "mode": "sample", "success": j % 2 == 0})
                if r.status_code != 200:
                    errors.append(r.text)
            for j in range(n_attempts):
                r = hc.post("/attempts", json={"task": "hammer", "code": f"x = {t}", "passed": False,
                                               "skill_ids": [ids[1]], "mode": "refine", "attempt_id": f"h-{t}-{j}"})
                if r.status_code != 200:
                    errors.append(r.text)

    t0 = time.time()
    threads = [threading.Thread(target=client, args=(t,)) for t in range(n_threads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.time() - t0
    assert not errors, errors[:3]
    assert c.get(f"/skills/{ids[0]}").json()["sampling_uses"] == n_threads * n_outcomes
    s1 = c.get(f"/skills/{ids[1]}").json()
    assert s1["refine_uses"] == n_threads * n_attempts and s1["refine_ema"] == 0.0
    print(f"hammer: {n_threads * (n_outcomes + n_attempts)} calls in {elapsed:.1f}s")


def test_refuses_public_host_without_tokens(tmp_path):
    r = subprocess.run([PYTHON, "-m", "mechacoder_soar", "serve", "http", "--host", "0.0.0.0", "--store",
                        str(tmp_path / "s")], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "--tokens" in r.stderr
    assert not (tmp_path / "s").exists()  # refused before touching the store


def test_refuses_a_negative_write_behind_delay(tmp_path):
    r = subprocess.run([PYTHON, "-m", "mechacoder_soar", "serve", "http", "--write-behind-ms", "-5", "--store",
                        str(tmp_path / "s")], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "--write-behind-ms" in r.stderr
    assert not (tmp_path / "s").exists()  # refused before touching the store


def test_the_serve_flags_choose_what_is_indexed_in_the_background(tmp_path):
    from mechacoder_soar.cli.serve import _open_store
    from skills_store.write_behind import WriteBehindIndex

    # (--write-behind-ms, --embed-behind) -> embeds in the background?; 0 ms turns both off
    for wb, eb, want in ((250.0, True, True), (250.0, False, False), (0.0, True, False)):
        s = _open_store(str(tmp_path / f"s{wb:g}{eb}"), "default", True, wb, eb)
        try:
            assert s.config.index_embed_behind is want and isinstance(s.vectors, WriteBehindIndex) is (wb > 0)
            assert (getattr(s.vectors, "embedder", None) is not None) is want
        finally:
            s.close()


@pytest.mark.slow
def test_second_owner_refused_then_restart_keeps_data(servers, open_client):
    """Runs last in this module: it stops the open server."""
    d = servers["dir"]
    c = open_client
    sid = _attempt(c, task="count vowels in a word", code="def v(s):\n    return sum(ch in 'aeiou' for ch in s)").json()["new_skill_id"]
    c.post("/outcomes", json={"skill_ids": [sid], "mode": "sample", "success": True})
    before = c.get("/stats").json()
    # A second server on the same store fails fast with a clear message (one owner per directory).
    r = subprocess.run([PYTHON, "-m", "mechacoder_soar", "serve", "http", "--store", str(d / "open-store"),
                        "--port", str(free_port())], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "in use by" in r.stderr
    assert servers["open"].stop() is not None
    again = Server(["http", "--store", str(d / "open-store")], free_port(), d / "open2.log").wait_ready()
    try:
        with httpx.Client(base_url=again.url, timeout=60) as c2:
            assert c2.get("/stats").json() == before
            sk = c2.get(f"/skills/{sid}").json()
            assert sk["sampling_uses"] == 1 and sk["sampling_ema"] == 1.0
            assert c2.post("/skills/search", json={"query": "how many vowels", "k": 1}).json()["skills"][0]["id"] == sid
    finally:
        again.stop()
