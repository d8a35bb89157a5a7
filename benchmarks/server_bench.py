"""Server benchmark: latency and throughput of record_attempt + search_skills over the REST API.

    .venv/bin/python benchmarks/server_bench.py [--skills 10000] [--clients 1 4 8] [--pairs 200] [--hammer] [--client-mode both] [--client-lib stdlib]

1. Ingest N synthetic skills straight into a fresh store (SkillStore.add, batched).
2. Start `soar serve http` on that store (a real subprocess on a free loopback port).
3. For each client count C: C clients, each with its own keep-alive connection, run `--pairs`
   iterations of (POST /attempts, then POST /skills/search). Clients run as threads of this
   process and as separate processes (`--client-mode`, default both, side by side): agents are
   processes, and threads add queueing on this process's own GIL to what they measure. The
   clients share the server's cores, so they use a lean HTTP client (`--client-lib`). Every
   recorded attempt cites a skill and is a failure with observed behaviour or a pass, so each
   record embeds and adds a skill (the heaviest path); every task text is new, so no search's
   query embedding comes from the server's cache. Reports p50/p95/p99 of each call and of the pair, pairs/s,
   the server's CPU per pair and how busy the cores were (short of cores, or waiting on a lock?),
   and how long a recorded skill took to become searchable meanwhile (`searchable_after_ms`: the
   server embeds and indexes in the background unless `--no-embed-behind`).
4. --hammer: 8 clients x 1,000 record_attempt (no new skill: the EMA path) + 1,000
   report_outcome each, then checks the final counters equal the sums.
Goal (issue [5/9]): p95 <= 100 ms for record+search at 8 clients.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from store_bench import synth  # noqa: E402  distinct synthetic skills (one constant per skill)


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")



def run_threads(client, clients: int) -> float:
    """Run `client(c)` for c in 0..clients-1 on threads at once; wall seconds until all finish."""
    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


def cpu_snapshot(pid: int) -> tuple[float, float, float]:
    """(the server process's CPU seconds, machine busy and total jiffies)
    from /proc, to say whether a run was short of cores or waiting on something else."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    server_s = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    with open("/proc/stat") as f:
        jiffies = [int(x) for x in f.readline().split()[1:]]
    idle = jiffies[3] + jiffies[4]  # idle + iowait
    return server_s, sum(jiffies) - idle, sum(jiffies)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ingest(location: str, n: int) -> list[str]:
    from skills_store import StoreConfig
    from skills_store.store import SkillStore

    rng = random.Random(0)
    ids: list[str] = []
    t0 = time.time()
    with SkillStore(StoreConfig(location=location)) as s:
        for i in range(0, n, 1000):
            res = s.add([synth(j, rng) for j in range(i, min(n, i + 1000))])
            ids += res.added
    print(f"ingested {len(ids)} skills in {time.time() - t0:.1f}s", flush=True)
    return ids


def start_server(location: str, port: int, log: Path, extra: list[str]) -> subprocess.Popen:
    import httpx

    proc = subprocess.Popen([sys.executable, "-m", "mechacoder_soar", "serve", "http", "--store", location,
                             "--port", str(port), "--no-evaluate", *extra], cwd=ROOT, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT)
    deadline = time.time() + 300
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("server did not start")


RUN_TOKEN = f"{time.time_ns():x}"  # per process and run (dedup ignores comments: it goes in the code)
VERBS = ["parse", "sort", "merge", "validate", "format", "count", "group", "filter", "rename", "compress"]
THINGS = ["log lines", "CSV rows", "dates", "JSON keys", "file paths", "user records", "prices", "tokens"]


class StdlibClient:
    """A keep-alive JSON client on the standard library's http.client. The load generator shares
    the server's cores here, and httpx spends 3x the client CPU per request (0.41 vs 0.12 ms for a
    search on this machine), which the server then does not get; `--client-lib httpx` measures
    with httpx instead."""

    def __init__(self, url: str, timeout: float = 60):
        import http.client
        from urllib.parse import urlparse

        u = urlparse(url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)

    def post(self, path: str, body: dict) -> tuple[int, str]:
        self.conn.request("POST", path, json.dumps(body).encode(), {"Content-Type": "application/json"})
        r = self.conn.getresponse()
        return r.status, r.read().decode()

    def close(self) -> None:
        self.conn.close()


class HttpxClient:
    def __init__(self, url: str, timeout: float = 60):
        import httpx

        self.h = httpx.Client(base_url=url, timeout=timeout)

    def post(self, path: str, body: dict) -> tuple[int, str]:
        r = self.h.post(path, json=body)
        return r.status_code, r.text

    def close(self) -> None:
        self.h.close()


CLIENT_LIBS = {"stdlib": StdlibClient, "httpx": HttpxClient}


def one_client(url: str, c: int, pairs: int, skill_ids: list[str], seed: int, start_at: float,
               lib: str = "stdlib") -> dict:
    """One client's loop of (record, search) pairs on its own keep-alive connection, from
    `start_at` (wall clock) on, so clients started as processes begin together."""
    rng = random.Random(seed * 1000 + c)
    rec, search, pair, errors = [], [], [], []
    h = CLIENT_LIBS[lib](url)
    try:
        time.sleep(max(0.0, start_at - time.time()))
        for j in range(pairs):
            # a task no client searched before in this run (the numbers): repeats of the phrase alone
            # would let the server's embedding cache answer a growing share of the later runs' searches
            task = (f"{rng.choice(VERBS)} the {rng.choice(THINGS)} then {rng.choice(VERBS)} the {rng.choice(THINGS)}"
                    f" (case {seed}.{c}.{j})")
            passed = rng.random() < 0.3
            # distinct code per call, also across runs on a reused --store (the run's token), so
            # every record really adds (embeds) a new skill instead of hitting dedup
            body = {"task": task, "code": f"def f(x):\n    return x + {c * 100_000 + seed * 1000 + j}\nRUN = {RUN_TOKEN!r}",
                    "passed": passed, "skill_ids": [rng.choice(skill_ids)],
                    "feedback": None if passed else "wrong output for case 2",
                    "observations": [] if passed else [{"input": [j, c], "output": [c, j, seed, RUN_TOKEN]}]}
            t0 = time.perf_counter()
            s1, t1_text = h.post("/attempts", body)
            t1 = time.perf_counter()
            s2, t2_text = h.post("/skills/search", {"query": task, "k": 5})
            t2 = time.perf_counter()
            if s1 != 200 or s2 != 200:
                errors.append(f"{s1} {s2} {t1_text[:200]} {t2_text[:200]}")
            rec.append(t1 - t0)
            search.append(t2 - t1)
            pair.append(t2 - t0)
    finally:
        h.close()
    return {"record": rec, "search": search, "pair": pair, "errors": errors, "end": time.time()}


PROBE_IDS = itertools.count()


class LagProbe:
    """How long until a recorded attempt's skill is searchable (the server may index in the
    background): while the clients run, a probe every 1.5 s records a passing attempt at a task of
    unique words and searches for that task every 50 ms until the new skill is among the hits
    (~5 extra searches a second, ~3% of the load it measures; lags are read to 50 ms)."""

    def __init__(self, url: str, every_s: float = 1.5, poll_s: float = 0.05, give_up_s: float = 10.0):
        self.url, self.every_s, self.poll_s, self.give_up_s = url, every_s, poll_s, give_up_s
        self.lags: list[float] = []
        self.missed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "LagProbe":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        rng = random.Random()
        h = StdlibClient(self.url)
        try:
            while not self._stop.wait(self.every_s):
                # a task never recorded before (also not by an earlier run on a reused --store): a
                # repeat would be a duplicate, indexed long ago, and measure nothing
                task = "probe " + " ".join(rng.choice(["amber", "basalt", "cobalt", "dune", "ember", "fjord", "glacier",
                                                       "harbor", "indigo", "juniper"]) for _ in range(6)) + \
                    f" {RUN_TOKEN} {next(PROBE_IDS)}"
                status, body = h.post("/attempts", {"task": task, "code": f"def probe():\n    return {task!r}", "passed": True})
                if status != 200 or json.loads(body)["new_skill_was_duplicate"]:
                    continue
                sid, t0 = json.loads(body)["new_skill_id"], time.perf_counter()
                while time.perf_counter() - t0 < self.give_up_s:
                    _, hits = h.post("/skills/search", {"query": task, "k": 5})
                    if sid in hits:
                        self.lags.append(time.perf_counter() - t0)

                        break
                    time.sleep(self.poll_s)
                else:
                    self.missed += 1
        finally:
            h.close()

    def summary(self) -> dict:
        return {"probes": len(self.lags) + self.missed, "missed": self.missed,
                **{f"p{p}": round(pct(self.lags, p) * 1000) for p in (50, 95)},
                "max": round(max(self.lags, default=float("nan")) * 1000)}


def run_clients(url: str, clients: int, pairs: int, skill_ids: list[str], seed: int, mode: str = "threads",
                server_pid: int | None = None, lib: str = "stdlib", lag_probe: bool = False) -> dict:
    """`clients` concurrent clients as threads of this process, or as separate processes (as
    agents are: then no client waits for another client's GIL). With `server_pid`, also the
    server's CPU per pair and how busy the machine's cores were while the clients ran: a run short
    of cores shows ~100% busy, one waiting on a lock shows idle cores. With `lag_probe`, also how
    long a recorded skill took to become searchable meanwhile (LagProbe)."""
    import contextlib

    probe = (lambda: cpu_snapshot(server_pid)) if server_pid else (lambda: (0.0, 0, 1))
    lag = LagProbe(url) if lag_probe else None
    if mode == "processes":
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(clients, mp_context=mp.get_context("spawn")) as ex:
            list(ex.map(time.sleep, [0.0] * clients))  # workers up and importing before the clock starts
            start_at = time.time() + 2.0
            futures = [ex.submit(one_client, url, c, pairs, skill_ids, seed, start_at, lib) for c in range(clients)]
            time.sleep(max(0.0, start_at - time.time()))
            before = probe()
            with lag or contextlib.nullcontext():
                results = [f.result() for f in futures]
            after = probe()
    else:
        start_at = time.time() + 0.05
        results = [None] * clients

        def client(c: int) -> None:
            results[c] = one_client(url, c, pairs, skill_ids, seed, start_at, lib)

        before = probe()
        with lag or contextlib.nullcontext():
            run_threads(client, clients)
        after = probe()
    wall = max(r["end"] for r in results) - start_at
    rec_lat = [x for r in results for x in r["record"]]
    search_lat = [x for r in results for x in r["search"]]
    pair_lat = [x for r in results for x in r["pair"]]
    errors = [e for r in results for e in r["errors"]]
    ms = lambda xs, p: round(pct(xs, p) * 1000, 1)  # noqa: E731
    return {
        "clients": clients, "as": mode, "client_lib": lib, "pairs": len(pair_lat), "errors": len(errors), "wall_s": round(wall, 2),
        "pairs_per_s": round(len(pair_lat) / wall, 1),
        "record_ms": {f"p{p}": ms(rec_lat, p) for p in (50, 95, 99)},
        "search_ms": {f"p{p}": ms(search_lat, p) for p in (50, 95, 99)},
        "record+search_ms": {f"p{p}": ms(pair_lat, p) for p in (50, 95, 99)},
        "server_cpu_ms_per_pair": round(1000 * (after[0] - before[0]) / max(1, len(pair_lat)), 1),
        "machine_busy": round((after[1] - before[1]) / max(1, after[2] - before[2]), 2),
        **({"searchable_after_ms": lag.summary()} if lag else {}),
    }


def hammer(url: str, skill_ids: list[str], clients: int = 8, calls: int = 1000) -> dict:
    import httpx

    a, b = skill_ids[0], skill_ids[1]
    before = {i: httpx.get(f"{url}/skills/{i}").json() for i in (a, b)}
    errors: list[str] = []

    def client(c: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as h:
            for j in range(calls):
                r = h.post("/attempts", json={"task": "hammer", "code": f"x = {c}", "passed": False,
                                              "skill_ids": [a], "mode": "refine", "attempt_id": f"hammer-{c}-{j}"})
                r2 = h.post("/outcomes", json={"skill_ids": [b], "mode": "sample", "success": True})
                if r.status_code != 200 or r2.status_code != 200:
                    errors.append(r.text[:200] + r2.text[:200])

    wall = run_threads(client, clients)
    after_a = httpx.get(f"{url}/skills/{a}").json()
    after_b = httpx.get(f"{url}/skills/{b}").json()
    want = clients * calls
    ok = (after_a["refine_uses"] - before[a]["refine_uses"] == want
          and after_b["sampling_uses"] - before[b]["sampling_uses"] == want and not errors)
    return {"calls": 2 * want, "wall_s": round(wall, 1), "calls_per_s": round(2 * want / wall, 1),
            "errors": len(errors), "no_lost_update": ok}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skills", type=int, default=10_000)
    ap.add_argument("--clients", type=int, nargs="+", default=[1, 4, 8])
    ap.add_argument("--pairs", type=int, default=200, help="record+search pairs per client")
    ap.add_argument("--hammer", action="store_true", help="also run 8 x 1,000 record_attempt + report_outcome")
    ap.add_argument("--no-coalesce", action="store_true", help="serve without merging concurrent embeddings (adds are still committed in groups)")
    ap.add_argument("--write-behind-ms", type=float, default=None,
                    help="the server's --write-behind-ms (default: the server's own; 0: every add writes Chroma in its request)")
    ap.add_argument("--no-embed-behind", action="store_true",
                    help="serve with --no-embed-behind (new skills embedded in the request: searchable at once)")
    ap.add_argument("--store", help="reuse an ingested store directory (skips ingest when it has skills)")
    ap.add_argument("--client-mode", choices=["threads", "processes", "both"], default="both",
                    help="clients as threads of the benchmark process, as separate processes (as agents are), or both")
    ap.add_argument("--client-lib", choices=sorted(CLIENT_LIBS), default="stdlib",
                    help="the clients' HTTP library: stdlib http.client (lean: the load generator shares the server's "
                         "cores) or httpx")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="soar-server-bench-")
    location = args.store or str(Path(tmp) / "store")
    if args.store and Path(args.store, "ledger.sqlite").exists():
        import sqlite3

        ids = [r[0] for r in sqlite3.connect(Path(args.store, "ledger.sqlite")).execute(
            "SELECT id FROM skills WHERE namespace='default' LIMIT 5000")]
        print(f"reusing {args.store}", flush=True)
    else:
        ids = ingest(location, args.skills)
    port = free_port()
    extra = (["--no-coalesce"] if args.no_coalesce else []) + (["--no-embed-behind"] if args.no_embed_behind else []) + (
        ["--write-behind-ms", str(args.write_behind_ms)] if args.write_behind_ms is not None else [])
    proc = start_server(location, port, Path(tmp) / "server.log", extra)
    print(f"server: {'--no-coalesce' if args.no_coalesce else 'coalescing embedder'}"
          f"{', --no-embed-behind' if args.no_embed_behind else ''}"
          f"{'' if args.write_behind_ms is None else f', --write-behind-ms {args.write_behind_ms:g}'}", flush=True)
    url = f"http://127.0.0.1:{port}"
    results = {"skills": args.skills, "runs": []}
    try:
        run_clients(url, 1, 5, ids, seed=99)  # warm-up (first-request costs)
        modes = ["threads", "processes"] if args.client_mode == "both" else [args.client_mode]
        for m, mode in enumerate(modes):
            for i, c in enumerate(args.clients):
                r = run_clients(url, c, args.pairs, ids, seed=10 * m + i, mode=mode, server_pid=proc.pid,
                                lib=args.client_lib, lag_probe=True)
                results["runs"].append(r)
                print(json.dumps(r), flush=True)
        if args.hammer:
            h = hammer(url, ids)
            results["hammer"] = h
            print(json.dumps({"hammer": h}), flush=True)
    finally:
        proc.terminate()
        proc.wait(30)
    top = max(args.clients)
    for r in results["runs"]:
        if r["clients"] == top:
            p95 = r["record+search_ms"]["p95"]
            print(f"goal p95(record+search) <= 100 ms at {top} clients ({r['as']}): "
                  f"{'MET' if p95 <= 100 else 'NOT MET'} ({p95} ms)")


if __name__ == "__main__":
    main()
