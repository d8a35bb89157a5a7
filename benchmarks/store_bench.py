"""Store benchmark: ingest rate and retrieve latency of SkillStore vs raw Chroma on the same data.

    .venv/bin/python benchmarks/store_bench.py --sizes 10000 100000

For each size N: ingest N synthetic skills through `SkillStore.add` (batched: embed + SQLite +
Chroma), then time Q retrievals (query embedding + vector search + ledger join + ranking + MMR)
against the raw baseline (query embedding + `collection.query` on the same collection). A store
within `exact_search_max` is searched exactly in memory; it is then timed again with Chroma's
search (`exact_search_max=0`), the path of larger namespaces and Chroma servers.
Like for like: every query is a text neither side has embedded before (the store's embedding
cache never hits), and the raw side embeds with its own uncached Embedder, so both pay the model.
Goals (issue [1/9]): retrieve p50 <= 25 ms at 100k incl. embedding, overhead <= 1.3x raw,
ingest >= 200 skills/s.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

VERBS = ["flip", "rotate", "recolour", "crop", "tile", "fill", "outline", "sort", "count", "mirror", "scale",
         "extract", "move", "draw", "connect", "denoise", "complete", "partition", "stack", "shift"]
OBJS = ["grid", "objects", "largest object", "background", "lines", "border", "rows", "columns", "cells",
        "blue shapes", "red squares", "holes", "pattern", "diagonal", "symmetry axis", "noise pixels"]
MODS = ["horizontally", "vertically", "by size", "by colour", "to the left", "upwards", "twice", "in place",
        "around the centre", "per quadrant", "with the most common colour", "until it hits a wall"]


def synth(i: int, rng: random.Random) -> dict:
    desc = f"{rng.choice(VERBS)} the {rng.choice(OBJS)} {rng.choice(MODS)}, then {rng.choice(VERBS)} the {rng.choice(OBJS)} {rng.choice(MODS)} (variant {i})"
    # A distinct constant per skill: the store dedups on normalised code (comments stripped), so
    # variants that differ only in a comment would collapse into a handful of skills.
    code = f"def transform(grid):\n    k = {i}\n    return [row[k % 7:] + row[:k % 7] for row in grid][::{1 if i % 2 else -1}]"
    return {"code": code, "description": desc, "kind": "arc",
            "source": rng.choice(["seed", "solved", "hindsight"]), "output_signature": f"sig{i}"}


def fresh_queries(rng: random.Random, n: int) -> list[str]:
    """`n` distinct query texts (a numbered suffix once the phrase combinations repeat)."""
    out: dict[str, None] = {}
    while len(out) < n:
        q = f"{rng.choice(VERBS)} the {rng.choice(OBJS)} {rng.choice(MODS)}"
        out[q if q not in out else f"{q}, case {len(out)}"] = None
    return list(out)


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def ingest(s, n: int, rng: random.Random, batch: int, con) -> float:
    """Add `n` synthetic skills in batches; skills/s."""
    from rich.progress import Progress

    t0 = time.perf_counter()
    with Progress(console=con, transient=True) as prog:
        task = prog.add_task(f"ingest {n}", total=n)
        for b in range(0, n, batch):
            s.add([synth(i, rng) for i in range(b, min(n, b + batch))])
            prog.update(task, advance=min(batch, n - b))
    rate = n / (time.perf_counter() - t0)
    stored = s.stats()["skills"]
    if stored != n:  # the figures would describe a smaller store than the row claims
        raise SystemExit(f"store holds {stored} skills after ingesting {n}: synthetic skills collided")
    return rate


def time_retrievals(s, rng: random.Random, n_queries: int, k: int) -> tuple[list[float], list[float]]:
    """(ours, raw) latencies in ms, interleaved so both see the same machine state. Distinct texts,
    one set per side, and the raw side's own uncached Embedder: neither side can reuse an
    embedding the other (or an earlier round) made."""
    from skills_store.embedding import Embedder
    from skills_store.vectors import collection_name

    queries = fresh_queries(rng, 2 * n_queries)
    ours_q, raw_q = queries[:n_queries], queries[n_queries:]
    col = s.vectors.client.get_collection(collection_name("default"))
    raw_embedder = Embedder(s.config.embed_batch_size)  # same model, no cache
    raw_embedder.embed(["warm up"])
    s.retrieve("warm up the search path", "sample", k)  # e.g. the exact index's first load
    hits_before = getattr(s.embedder, "hits", 0)
    ours, raw = [], []
    for i, (qo, qr) in enumerate(zip(ours_q, raw_q)):  # alternating who goes first
        for side in ((0, 1) if i % 2 else (1, 0)):
            t = time.perf_counter()
            if side == 0:
                s.retrieve(qo, "sample", k)
                ours.append((time.perf_counter() - t) * 1000)
            else:
                col.query(query_embeddings=[raw_embedder.embed([qr])[0]], n_results=k,
                          include=["documents", "metadatas", "distances"])
                raw.append((time.perf_counter() - t) * 1000)
    hits = getattr(s.embedder, "hits", 0) - hits_before
    if hits:
        raise SystemExit(f"the store's embedding cache hit {hits} times: the comparison is not like for like")
    return ours, raw


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--batch", type=int, default=1000)
    args = ap.parse_args()

    from rich.console import Console

    from skills_store import StoreConfig
    from skills_store.store import SkillStore

    con = Console()
    rng = random.Random(0)
    rows = []
    for n in args.sizes:
        d = tempfile.mkdtemp(prefix=f"store_bench_{n}_")
        with SkillStore(StoreConfig(location=d)) as s:
            s.embedder.embed(["warm up"])
            rate = ingest(s, n, rng, args.batch, con)
            search = "exact" if n <= s.config.exact_search_max else "Chroma"
            rows.append((n, rate, search, *time_retrievals(s, rng, args.queries, args.k)))
        if search == "exact":  # the same store searched by Chroma, as above the limit or on a server
            with SkillStore(StoreConfig(location=d, exact_search_max=0)) as s:
                rows.append((n, None, "Chroma", *time_retrievals(s, rng, args.queries, args.k)))
    con.print("\n[b]SkillStore vs raw Chroma (query embedding, uncached, included in both)[/b]")
    con.print(f"{'skills':>8} {'ingest/s':>9} {'search':>7} {'ours p50':>9} {'ours p99':>9} {'raw p50':>8} {'raw p99':>8} {'p50 ratio':>9}")
    for n, rate, search, ours, raw in rows:
        o50, r50 = statistics.median(ours), statistics.median(raw)
        ing = f"{rate:>9.0f}" if rate is not None else f"{'':>9}"
        con.print(f"{n:>8} {ing} {search:>7} {o50:>8.1f}ms {pct(ours, 99):>8.1f}ms {r50:>7.1f}ms {pct(raw, 99):>7.1f}ms "
                  f"{o50 / r50:>8.2f}x")
    con.print("goals: p50 <= 25 ms at 100k, ratio <= 1.3x, ingest >= 200/s")


if __name__ == "__main__":
    main()
