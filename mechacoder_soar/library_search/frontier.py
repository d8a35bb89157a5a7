"""Frontier splitting: one search over several processes, so one hard task can use every core.

The root's primitives are dealt round-robin to the workers (worker w expands the root with
primitives w, w + P, w + 2P, ... in the cheapest-first order) and each worker searches the subtrees
under its share with the same uniform-cost loop, a 1/P share of the budget and the caller's
deadline. Learned compositions go to worker 0. What the workers found is merged as one search
would report it: one train-correct candidate per distinct test answer (the cheapest), then the
best near misses. Output-equivalence pruning holds within a worker only, so two workers may each
evaluate a program the other already has under another name; `found_at` counts the evaluations
of the worker that found the candidate.
"""
from __future__ import annotations

import math
import multiprocessing as mp
import time
from dataclasses import replace
from typing import Sequence

from .engine import Hit, build_result, parse_pairs
from .primitives import Step
from .search_types import SearchConfig, SearchResult


def _worker(args: tuple) -> tuple[dict, list, int, str]:
    from .search import search_shard

    train_pairs, test_inputs, config, order, extra_programs, prior, shard, deadline, step_prior = args
    config = replace(config, time_limit_s=max(1e-3, deadline - time.perf_counter()))
    eng = search_shard(train_pairs, test_inputs, config, order, extra_programs, prior, shard, step_prior)
    return eng.correct, eng.near, eng.n_evaluated, eng.exhausted


def split_search(train_pairs: Sequence, test_inputs: Sequence, config: SearchConfig, order: list[str] | None,
                 extra_programs: list[Sequence[Step]], prior: dict[str, float] | None,
                 step_prior: dict[str, dict[str, float]] | None = None) -> SearchResult:
    """`search` with its frontier split over `config.processes` processes (sequential inside a
    daemonic process, e.g. a per-task worker pool, which may not start children)."""
    from .search import search_shard

    start = time.perf_counter()
    n_train = len(parse_pairs(train_pairs)[0])   # bad input fails here, with the usual message
    workers = config.processes
    if mp.current_process().daemon:
        eng = search_shard(train_pairs, test_inputs, replace(config, processes=1), order, extra_programs, prior,
                           step_prior=step_prior)
        return eng.result()
    per = replace(config, processes=1, budget=max(1, math.ceil(config.budget / workers)))
    jobs = [(train_pairs, test_inputs, per, order, extra_programs, prior, (w, workers), start + config.time_limit_s,
             step_prior) for w in range(workers)]
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    with mp.get_context(method).Pool(workers) as pool:
        parts = pool.map(_worker, jobs)
    return _merge(parts, n_train, config, time.perf_counter() - start)


def _merge(parts: list[tuple[dict, list, int, str]], n_train: int, config: SearchConfig,
           elapsed_s: float) -> SearchResult:
    correct: dict[bytes, Hit] = {}
    near: list[tuple[tuple, int, Hit]] = []
    workers = len(parts)
    for w, (found, misses, _, _) in enumerate(parts):
        for key, hit in found.items():
            if key not in correct or correct[key].cost > hit.cost:
                correct[key] = hit
        # unique tiebreaks across workers, keeping each worker's own order
        near += [(rank, tb * workers - w, hit) for rank, tb, hit in misses]
    near = sorted(near, key=lambda t: t[:2], reverse=True)[: config.max_candidates]
    states = [p[3] for p in parts]
    if config.stop_after_solutions and len(correct) >= config.stop_after_solutions:
        exhausted = "solved"
    else:
        exhausted = next((s for s in ("time", "budget") if s in states), "")
    return build_result(correct, near, n_train, config, sum(p[2] for p in parts), elapsed_s, exhausted)
