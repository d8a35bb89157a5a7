"""Typed configuration for the store, its ranking and its EMAs (one dataclass per concept)."""
from __future__ import annotations

from dataclasses import dataclass, field

from .settings import data_dir as default_data_dir
from .settings import store_location as default_store_location

__all__ = ["EmaConfig", "RankingConfig", "StoreConfig", "default_data_dir", "default_store_location"]


@dataclass(frozen=True)
class EmaConfig:
    # Step size of the exponential moving average once it is warm. For the first 1/alpha uses the
    # step is 1/uses instead (bias correction), so the EMA is the plain mean of early outcomes rather
    # than being dragged towards its arbitrary start value.
    alpha: float = 0.1

    def __post_init__(self) -> None:
        if not 0.0 < self.alpha <= 1.0:
            raise ValueError(f"EmaConfig.alpha must be in (0, 1], got {self.alpha}")


@dataclass(frozen=True)
class RankingConfig:
    w_similarity: float = 0.7
    w_quality: float = 0.3
    # Beta prior over a skill's success rate, by source: a hindsight skill solved a task it made up,
    # so it starts lower than one that solved a real task.
    prior_mean: dict[str, float] = field(
        default_factory=lambda: {"seed": 0.5, "solved": 0.6, "hindsight": 0.3}
    )
    prior_strength: float = 4.0
    # Below this many uses in a mode the EMA is ignored and the prior mean stands in for it.
    min_uses: int = 2
    # UCB-style bonus for rarely used skills, so new skills get shown at all.
    exploration: float = 0.05
    # Maximal marginal relevance: 1.0 = pure score, lower = more diversity among the top-k.
    mmr_lambda: float = 0.75
    # Candidates fetched from the vector index before re-ranking: max(k * overfetch, min_candidates).
    overfetch: int = 5
    min_candidates: int = 40


@dataclass(frozen=True)
class StoreConfig:
    # A directory (embedded Chroma PersistentClient) or http://HOST:PORT (a Chroma server).
    location: str = field(default_factory=default_store_location)
    namespace: str = "default"
    # Where the SQLite ledger lives when `location` is a server (the memory service's disk).
    ledger_dir: str | None = None
    ema: EmaConfig = field(default_factory=EmaConfig)
    ranking: RankingConfig = field(default_factory=RankingConfig)
    embed_batch_size: int = 64
    # Recently embedded texts kept (0: none): the same texts come back (a record then a search
    # with the task's text; one task's retrievals every iteration). One 384-float vector each.
    embed_cache: int = 4096
    # > 0: vectors reach Chroma in the background, batched over this many ms (write_behind.py;
    # searches still see them at once). The servers use it; 0: every add writes Chroma itself.
    index_write_behind_ms: float = 0.0
    # With write-behind: the writer also embeds new skills (write_behind.py), so an add returns
    # without the model call; a new skill is searchable once its batch is indexed.
    index_embed_behind: bool = False
    # Embedded stores search namespaces of up to this many vectors exactly, on an in-memory copy
    # (exact.py: Chroma's HNSW misses some outliers; one 384-float vector each); larger ones, and Chroma
    # servers, are searched by Chroma. 0: always Chroma.
    exact_search_max: int = 50_000

    def __post_init__(self) -> None:
        if self.index_write_behind_ms < 0:
            raise ValueError(f"index_write_behind_ms must be >= 0, got {self.index_write_behind_ms}")
        if self.exact_search_max < 0:
            raise ValueError(f"exact_search_max must be >= 0, got {self.exact_search_max}")
        if self.index_embed_behind and self.index_write_behind_ms <= 0:
            raise ValueError("index_embed_behind needs index_write_behind_ms > 0 (the writer embeds each window's skills)")

    @property
    def is_server(self) -> bool:
        return self.location.startswith(("http://", "https://"))
