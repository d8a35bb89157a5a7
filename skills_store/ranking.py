"""Ranking: similarity blended with the mode's EMA under a Beta prior, plus exploration and MMR.

For a candidate skill s retrieved for a query q in mode m (sample | refine):

    sim(s)       = 1 - cosine_distance(embed(q), embed(s))
    n            = effective_count(uses_m(s))                 # min(uses, 1/alpha)
    prior        = prior_mean[source(s)],  a0 = k*prior, b0 = k*(1-prior),  k = prior_strength
    posterior(s) = prior                                  if uses_m(s) < min_uses
                 = (a0 + ema_m(s)*n) / (a0 + b0 + n)      otherwise   (Beta posterior mean)
    explore(s)   = c * sqrt(ln(1 + U_m) / (1 + uses_m(s)))  # U_m = total uses of all candidates in m
    score(s)     = w_sim*sim(s) + w_quality*posterior(s) + explore(s)

Top-k then by maximal marginal relevance over the candidates' embeddings:
    next = argmax_s  lambda*score(s) - (1-lambda)*max_{t chosen} cos(s, t)
so near-duplicates of an already chosen skill fall behind distinct ones.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .config import EmaConfig, RankingConfig
from .ema import effective_count


@dataclass
class Candidate:
    id: str
    similarity: float
    source: str
    ema: float
    uses: int
    embedding: np.ndarray | None = None


@dataclass
class Ranked:
    id: str
    similarity: float
    prior_mean: float
    posterior: float
    exploration: float
    score: float


def posterior_mean(c: Candidate, rcfg: RankingConfig, ecfg: EmaConfig) -> tuple[float, float]:
    prior = rcfg.prior_mean.get(c.source, 0.5)
    if c.uses < rcfg.min_uses:
        return prior, prior
    n = effective_count(c.uses, ecfg)
    a0 = rcfg.prior_strength * prior
    b0 = rcfg.prior_strength * (1.0 - prior)
    return prior, (a0 + c.ema * n) / (a0 + b0 + n)


def score_candidates(cands: list[Candidate], rcfg: RankingConfig, ecfg: EmaConfig) -> list[Ranked]:
    total = sum(c.uses for c in cands)
    out = []
    for c in cands:
        prior, post = posterior_mean(c, rcfg, ecfg)
        explore = rcfg.exploration * math.sqrt(math.log1p(total) / (1 + c.uses)) if total else rcfg.exploration
        score = rcfg.w_similarity * c.similarity + rcfg.w_quality * post + explore
        out.append(Ranked(c.id, c.similarity, prior, post, explore, score))
    return out


def mmr_select(cands: list[Candidate], ranked: list[Ranked], k: int, lam: float) -> list[Ranked]:
    """Greedy MMR. Candidates without embeddings are treated as mutually dissimilar."""
    if k <= 0 or not cands:
        return []
    embs = [c.embedding for c in cands]
    have = all(e is not None for e in embs)
    if have:
        m = np.asarray(embs, dtype=np.float32)
        m /= np.linalg.norm(m, axis=1, keepdims=True) + 1e-12
    # Only the k chosen rows of the similarity matrix are ever needed: k matrix-vector products
    # instead of the full n x n product (which also woke BLAS's thread pool on every query).
    gain = lam * np.array([r.score for r in ranked], dtype=np.float64)
    max_sim = np.zeros(len(cands), dtype=np.float64)
    open_ = np.ones(len(cands), dtype=bool)
    chosen: list[int] = []
    while len(chosen) < min(k, len(cands)):
        value = np.where(open_, gain - (1 - lam) * max_sim, -np.inf)
        best = int(np.argmax(value))  # first of equals: ties go to the earlier candidate, as before
        chosen.append(best)
        open_[best] = False
        if have:
            max_sim = np.maximum(max_sim, (m @ m[best]).astype(np.float64))
    return [ranked[i] for i in chosen]


def rank(cands: list[Candidate], k: int, rcfg: RankingConfig, ecfg: EmaConfig) -> list[Ranked]:
    return mmr_select(cands, score_candidates(cands, rcfg, ecfg), k, rcfg.mmr_lambda)
