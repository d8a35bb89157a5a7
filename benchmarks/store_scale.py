"""Store at scale, embedded Chroma vs a Chroma server: ingest rate and retrieve p50/p99.

    .venv/bin/python benchmarks/store_scale.py --sizes 100000            # both backends
    .venv/bin/python benchmarks/store_scale.py --sizes 100000 1000000 --backends server

Embedding 1M descriptions with MiniLM would take hours on CPU and measure the model, not the store,
so the store is given precomputed random unit vectors (`RandomEmbedder`) for ingest and for the
queries. The real model is timed separately (single-query latency and batch throughput) and added
back: "retrieve + embed" = store retrieve (random query vector) + the measured p50/p99 of embedding
one query; "ingest incl. embed" = 1 / (1/ingest rate + 1/embedding throughput). The output says so.

Each size is a fresh store (embedded: a temp directory; server: `chroma run` on a free loopback port,
its own process, with the ledger in a temp directory as the memory service would hold it).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.store_bench import pct  # noqa: E402
from benchmarks.store_bench import synth  # noqa: E402  (distinct synthetic skills, one constant each)


class RandomEmbedder:
    """Deterministic random unit vectors (seeded by the text), as fast as numpy can make them."""

    def __init__(self, dim: int):
        self.dim = dim

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        seed = int.from_bytes(hashlib.blake2b("\n".join(texts).encode(), digest_size=8).digest(), "little")
        v = np.random.default_rng(seed).standard_normal((len(texts), self.dim), dtype=np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def time_real_embedder(n_queries: int, n_batch: int) -> dict:
    from skills_store.embedding import Embedder

    emb = Embedder()
    rng = random.Random(1)
    emb.embed(["warm up"])
    lat = []
    for i in range(n_queries):
        q = synth(10_000_000 + i, rng)["description"]
        t = time.perf_counter()
        emb.embed([q])
        lat.append((time.perf_counter() - t) * 1000)
    texts = [synth(20_000_000 + i, rng)["description"] for i in range(n_batch)]
    t = time.perf_counter()
    emb.embed(texts)
    rate = n_batch / (time.perf_counter() - t)
    return {"query_embed_p50_ms": pct(lat, 50), "query_embed_p99_ms": pct(lat, 99), "embed_rate_per_s": rate}


def bench_one(backend: str, n: int, args, workdir: Path) -> dict:
    from skills_store import StoreConfig
    from skills_store.embedding import DIM
    from skills_store.store import SkillStore

    server = None
    if backend == "server":
        from mechacoder_soar.distributed.chroma_server import ChromaServer

        server = ChromaServer(workdir / f"chroma-{n}", log_path=workdir / f"chroma-{n}.log")
        cfg = StoreConfig(location=server.start(), ledger_dir=str(workdir / f"ledger-{n}"), namespace="bench")
    else:
        cfg = StoreConfig(location=str(workdir / f"embedded-{n}"), namespace="bench")
    rng = random.Random(0)
    try:
        with SkillStore(cfg, embedder=RandomEmbedder(DIM)) as store:
            t0 = time.perf_counter()
            for i in range(0, n, args.batch):
                store.add([synth(j, rng) for j in range(i, min(n, i + args.batch))])
                if args.verbose and (i // args.batch) % 50 == 0:
                    print(f"  {backend} {n}: {i + args.batch} ingested, {time.perf_counter() - t0:.0f} s", flush=True)
            ingest_s = time.perf_counter() - t0
            assert store.stats()["skills"] == n
            qs = [synth(30_000_000 + i, rng)["description"] for i in range(args.queries)]
            for q in qs[:10]:
                store.retrieve(q, k=args.k)  # warm caches and connections
            lat = []
            for q in qs:
                t = time.perf_counter()
                hits = store.retrieve(q, k=args.k)
                lat.append((time.perf_counter() - t) * 1000)
                assert len(hits) == args.k
    finally:
        if server:
            server.stop()
    return {"backend": backend, "skills": n, "ingest_s": ingest_s, "ingest_per_s": n / ingest_s,
            "retrieve_p50_ms": pct(lat, 50), "retrieve_p99_ms": pct(lat, 99),
            "retrieve_mean_ms": statistics.fmean(lat)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    ap.add_argument("--backends", nargs="+", default=["embedded", "server"], choices=["embedded", "server"])
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--batch", type=int, default=2000)
    ap.add_argument("--json", type=Path, help="also write the rows here")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()

    emb = time_real_embedder(100, 512)
    print(f"real MiniLM embedder (timed separately): query p50 {emb['query_embed_p50_ms']:.1f} ms, "
          f"p99 {emb['query_embed_p99_ms']:.1f} ms; batch throughput {emb['embed_rate_per_s']:.0f} texts/s")
    print("store timings use precomputed random embeddings; '+embed' columns add the real embedder's cost back\n")
    rows = []
    with tempfile.TemporaryDirectory(prefix="store-scale-") as d:
        for n in args.sizes:
            for backend in args.backends:
                r = bench_one(backend, n, args, Path(d))
                r["retrieve_plus_embed_p50_ms"] = r["retrieve_p50_ms"] + emb["query_embed_p50_ms"]
                r["retrieve_plus_embed_p99_ms"] = r["retrieve_p99_ms"] + emb["query_embed_p99_ms"]
                r["ingest_incl_embed_per_s"] = 1 / (1 / r["ingest_per_s"] + 1 / emb["embed_rate_per_s"])
                rows.append(r)
                print(f"{backend:8s} {n:>9,d} skills: ingest {r['ingest_per_s']:7.0f}/s (incl. embed {r['ingest_incl_embed_per_s']:5.0f}/s)  "
                      f"retrieve p50 {r['retrieve_p50_ms']:6.1f} ms p99 {r['retrieve_p99_ms']:6.1f} ms  "
                      f"(+embed: p50 {r['retrieve_plus_embed_p50_ms']:6.1f} ms p99 {r['retrieve_plus_embed_p99_ms']:6.1f} ms)",
                      flush=True)
    if args.json:
        args.json.write_text(json.dumps({"embedder": emb, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
