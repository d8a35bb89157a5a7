"""Evaluation machinery of the composition search: inputs, limits, dedup, scoring, step cache.

Every node of the search is a program together with its grids on all train and test inputs (a
`Frame`: the grids and one 16-byte digest per grid). Digests are computed once, when a grid is
made, and serve three purposes: the output-equivalence key of a node is the concatenation of its
grid digests; the answer key of a train-correct node is that of its test grids; and a step applied
to a grid with a digest already seen is looked up instead of run again (`apply`), so siblings and
cousins that share a grid share its children. Scoring keeps only the few records the result needs
and turns them into `Candidate`s (lists of lists) at the end, not for every node evaluated.
"""
from __future__ import annotations

import heapq
import json
import time
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
from xxhash import xxh3_128_digest

from .compiled import count_equal
from .primitives import PRIMITIVES, Step, to_array, to_grid, valid_result
from .registry import NodePairs
from .search_types import COLOUR_FIX, Candidate, SearchConfig, SearchResult

State = tuple[np.ndarray, ...]
Keys = tuple[bytes, ...]
Frame = tuple[State, Keys]     # a node's grids (train inputs first, then test inputs) and their digests

_ENTRY_OVERHEAD = 200          # bytes of Python bookkeeping counted per cached grid
_UNSET = object()              # a cached raw output not yet validated as a grid
_FAILED = [None, None]         # the cache entry of a step that raised
_MAX_INFERRED = 50_000         # (primitive, train grids) inference results kept per search
_MAX_NODE_PAIRS = 4_096        # nodes whose inference pairs (and what helpers derived from them) are kept
_MAX_PKEYS = 200_000           # params dicts whose keys are remembered per search
_INT64 = np.dtype(np.int64)


def grid_digest(a: np.ndarray) -> bytes:
    """16-byte digest of a grid's shape and int64 cell values (grids equal as int64 collide on purpose).
    XXH3-128 seeded with the shape: a non-cryptographic hash is enough (the grids are our own, not
    an adversary's), and 128 bits keep accidental collisions out of reach (~n^2 / 2^129 for n grids)."""
    if a.dtype != np.int64:
        a = a.astype(np.int64)
    return xxh3_128_digest(a if a.flags.c_contiguous else a.tobytes(), seed=(a.shape[0] << 32) | a.shape[1])


_SCALARS = {int, float, str, bool, type(None)}


def params_key(params: dict) -> tuple | str:
    """A hashable key for a params dict: its sorted items with their types (1, 1.0 and True are
    different settings), or its JSON where a value is a list."""
    key = tuple([(k, type(v), v) for k, v in sorted(params.items())])
    for _, t, _ in key:
        if t not in _SCALARS:
            break
    else:   # the usual case: every value a scalar, so the key is hashable as it is
        return key
    try:
        hash(key)
    except TypeError:
        return json.dumps(params, sort_keys=True)
    return key


def step_key(params: dict) -> tuple | str:
    """A hashable key for a params dict as the step cache files it: its items in their order, then
    their values' types (1, 1.0 and True are different settings). Cheaper than `params_key` (no
    sort): equal dicts built in another key order get two keys, which costs a cache miss, never a
    wrong hit. `params_key` where a value is unhashable."""
    key = (*params.items(), *map(type, params.values()))
    try:
        hash(key)
    except TypeError:
        return params_key(params)
    return key


def params_cost(params: dict) -> float:
    """Description-length tie-break: among equally cheap programs prefer the one with less to
    specify (a 6-entry colour map that happens to fit beats nothing; a plain flip beats it).
    The engine remembers it per setting (`Engine.params_cost`: it is asked for every child)."""
    return 0.003 * len(json.dumps(params)) if params else 0.0


@dataclass
class Hit:
    """A scored, not yet materialised candidate (grids stay arrays until the result is built)."""
    steps: list[Step]
    state: State
    train_correct: list[bool]
    pixel_score: float
    cost: float
    found_at: int
    shapes_match: bool = False   # every train grid has its output's shape

    @property
    def fully_correct(self) -> bool:
        return bool(self.train_correct) and all(self.train_correct)

    @property
    def train_accuracy(self) -> float:
        return sum(self.train_correct) / len(self.train_correct)

    def candidate(self, n_train: int) -> Candidate:
        return Candidate(steps=list(self.steps), train_correct=list(self.train_correct),
                         train_accuracy=self.train_accuracy, pixel_score=self.pixel_score,
                         test_outputs=[to_grid(t) for t in self.state[n_train:]],
                         train_outputs=[to_grid(a) for a in self.state[:n_train]],
                         cost=self.cost, found_at=self.found_at)


def parse_pairs(train_pairs: Sequence) -> tuple[list[np.ndarray], list[np.ndarray]]:
    if not train_pairs:
        raise ValueError("search needs at least one train pair")
    ins, outs = [], []
    for i, pair in enumerate(train_pairs):
        try:
            a, b = (pair["input"], pair["output"]) if isinstance(pair, dict) else pair
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"train pair {i} must be (input, output) or a dict with 'input'/'output'") from None
        ins.append(to_array(a))
        outs.append(to_array(b))
    return ins, outs


class Engine:
    """Inputs, budget/deadline accounting, the step cache, dedup and scoring of one search."""

    def __init__(self, train_pairs: Sequence, test_inputs: Sequence, config: SearchConfig):
        self.config = config
        self.start = time.perf_counter()
        self.deadline = self.start + config.time_limit_s
        self.ins, self.outs = parse_pairs(train_pairs)
        self.tests = [to_array(t) for t in test_inputs]
        self.n_train = len(self.ins)
        root = tuple(self.ins) + tuple(self.tests)
        self.root: Frame = (root, tuple(grid_digest(a) for a in root))
        self.n_evaluated = 0
        self.exhausted = ""
        self.seen: set[bytes] = set()
        self.correct: dict[bytes, Hit] = {}     # keyed by test-grid digests: distinct answers only
        self.near: list[tuple[tuple, int, Hit]] = []
        self._tiebreak = 0
        self._cache: dict[tuple, tuple[np.ndarray, bytes] | None] = {}
        self._cache_bytes = 0
        self._inferred: dict[tuple, list[dict]] = {}
        self._node_pairs: dict[bytes, NodePairs] = {}
        self._pkeys: dict[int, tuple[dict, tuple | str]] = {}
        self._costs: dict[tuple | str, float] = {}
        self.peak_open = (0, 0)    # set by the search loop: most open nodes / open-node grid bytes

    # ---- limits
    def out_of_budget(self) -> bool:
        if self.exhausted:
            return True
        if self.config.stop_after_solutions and len(self.correct) >= self.config.stop_after_solutions:
            self.exhausted = "solved"
            return True
        if self.n_evaluated >= self.config.budget:
            self.exhausted = "budget"
        elif time.perf_counter() >= self.deadline:
            self.exhausted = "time"
        return bool(self.exhausted)

    # ---- running steps
    def pkey(self, params: dict) -> tuple | str:
        """`step_key(params)`, remembered per dict object: inference hands out the same dicts for
        every grid and every child, so each is keyed once. An entry holds its dict, so the id it
        is filed under cannot be reused by another object while the entry exists."""
        hit = self._pkeys.get(id(params))
        if hit is not None and hit[0] is params:
            return hit[1]
        if len(self._pkeys) >= _MAX_PKEYS:
            self._pkeys.clear()
            self._costs.clear()
        k = step_key(params)
        self._pkeys[id(params)] = (params, k)
        return k

    def params_cost(self, params: dict) -> float:
        """`params_cost(params)`, remembered under its `pkey`."""
        if not params:
            return 0.0
        k = self.pkey(params)
        hit = self._costs.get(k)
        if hit is None:
            hit = self._costs[k] = params_cost(params)
        return hit

    def _miss(self, ck: tuple, name: str, params: dict, a: np.ndarray) -> list:
        """Run primitive `name` with `params` on grid `a`, a step not in the cache under
        ck = (name, params key, digest of a), and file its entry: [raw output, validated
        (grid, digest) or _UNSET], or _FAILED where it raised. The cache is emptied when full."""
        try:
            raw = PRIMITIVES[name].fn(a, **params)
            entry = [raw, _UNSET]
            size = _ENTRY_OVERHEAD + getattr(raw, "nbytes", 0)
        except Exception:
            entry, size = _FAILED, _ENTRY_OVERHEAD
        if self._cache_bytes + size > self.config.max_cache_bytes:
            self._cache.clear()
            self._cache_bytes = 0
        self._cache[ck] = entry
        self._cache_bytes += size
        return entry

    @staticmethod
    def _validate(entry: list) -> tuple[np.ndarray, bytes] | None:
        """Validate a cached raw output once: (grid, digest), or None where it is no 1..30-sided grid.
        The usual output, an int64 grid, is checked and digested here directly, and made C-ordered
        where it is a view (crops, flips, rotations): one copy here instead of one in every later
        digest, memo key and kernel call that reads it."""
        r = entry[0]
        if type(r) is np.ndarray and r.dtype is _INT64 and r.ndim == 2:
            h, w = r.shape
            if not (0 < h <= 30 and 0 < w <= 30):
                entry[1] = None
                return None
            if not r.flags.c_contiguous:
                r = np.ascontiguousarray(r)
            entry[1] = (r, xxh3_128_digest(r, seed=(h << 32) | w))
            return entry[1]
        try:
            r = valid_result(r)
        except Exception:
            r = None
        entry[1] = None if r is None else (r, grid_digest(r))
        return entry[1]

    def apply(self, step: Step, frame: Frame) -> Frame | None:
        """`step` on every grid of `frame`; None as soon as it fails on one. (The hot path of the
        search: the cache lookup is inlined here.)"""
        name, params = step
        pkey = self.pkey(params)
        cache = self._cache
        out, keys = [], []
        for a, k in zip(*frame):
            ck = (name, pkey, k)
            entry = cache.get(ck)
            if entry is None:
                entry = self._miss(ck, name, params, a)
            r = entry[1]   # _FAILED's is None
            if r is _UNSET:
                r = self._validate(entry)
            if r is None:
                return None
            out.append(r[0])
            keys.append(r[1])
        return tuple(out), tuple(keys)

    def run_from(self, frame: Frame | None, steps: Iterable[Step]) -> Frame | None:
        """The one way to run steps: from `frame` (None stays None), failing as soon as a step does."""
        for step in steps:
            if frame is None:
                return None
            frame = self.apply(step, frame)
        return frame

    def frames_of(self, steps: Sequence[Step]) -> list[Frame] | None:
        """The root and the frame after each step; None if a step fails."""
        frames = [self.root]
        for step in steps:
            f = self.apply(step, frames[-1])
            if f is None:
                return None
            frames.append(f)
        return frames

    def run_program(self, steps: Sequence[Step]) -> State | None:
        frame = self.run_from(self.root, steps)
        return None if frame is None else frame[0]

    # ---- inference and measures
    def shapes_match(self, state: State) -> bool:
        return all(a.shape == b.shape for a, b in zip(state[: self.n_train], self.outs))

    def infer(self, name: str, frame: Frame) -> list[dict]:
        """Inferred settings of primitive `name` on the frame's train grids, the first
        `max_params_per_step`. Enumerative inference runs through the step cache."""
        prim = PRIMITIVES[name]
        if prim.infer is None:
            return [{}]
        state, keys = frame
        train_key = b"".join(keys[: self.n_train])   # inference sees only the train grids
        ik = (name, train_key)
        hit = self._inferred.get(ik)
        if hit is not None:
            return hit
        pairs = self._node_pairs.get(train_key)
        if pairs is None:   # the node's first inference: what its helpers derive is kept for the rest
            if len(self._node_pairs) >= _MAX_NODE_PAIRS:
                self._node_pairs.clear()
            pairs = self._node_pairs[train_key] = NodePairs(zip(state[: self.n_train], self.outs))
        try:
            if getattr(prim.infer, "shares_runs", False):
                limit = {"limit": self.config.max_params_per_step} if getattr(prim.infer, "takes_limit", False) else {}
                params = prim.infer(pairs, run=self._runner(name, frame), **limit)
            else:
                params = prim.infer(pairs)
            params = list(params)[: self.config.max_params_per_step]
        except Exception:
            params = []
        if len(self._inferred) >= _MAX_INFERRED:
            self._inferred.clear()
        self._inferred[ik] = params
        return params

    def _runner(self, name: str, frame: Frame):
        """`run(params, grid)` for inference on the frame's grids: their runs go through the step
        cache, so the settings inference tries first are done when the search applies them."""
        digests = {id(a): k for a, k in zip(*frame)}
        fn, cache, pkey, miss = PRIMITIVES[name].fn, self._cache, self.pkey, self._miss

        def run(params: dict, a: np.ndarray):
            k = digests.get(id(a))
            if k is None:   # not one of the frame's grids: nothing to share
                return fn(a, **params)
            ck = (name, pkey(params), k)
            entry = cache.get(ck)
            if entry is None:
                entry = miss(ck, name, params, a)
            if entry is _FAILED:
                raise ValueError(f"{name} failed on this grid")
            return entry[0]

        return run

    def retemplate(self, prog: Sequence[Step], steps_to_refit: Iterable[int]) -> list[Step] | None:
        """`prog` with the parameters of the given steps re-inferred on *this* task (first inferred
        setting; the learned one where inference has nothing). A composition learned on one task
        with its colours and sizes baked in becomes a template for tasks that need the same steps
        with other settings. None if the program stops applying."""
        refit = set(steps_to_refit)
        frame: Frame | None = self.root
        out: list[Step] = []
        for i, (name, params) in enumerate(prog):
            if i in refit and PRIMITIVES[name].infer is not None:
                params = next(iter(self.infer(name, frame)), params)
            out.append((name, params))
            frame = self.apply((name, params), frame)
            if frame is None:
                return None
        return out

    def agreement(self, state: State) -> list[float | None]:
        """Per train pair: the fraction of cells equal to the output, None where shapes differ."""
        return [count_equal(a, b) / b.size if a.shape == b.shape else None
                for a, b in zip(state[: self.n_train], self.outs)]

    def progress(self, state: State) -> float:
        """How close a state's train grids are to the outputs: solved pairs, plus cells in
        agreement where shapes match, plus half the closeness of the cell counts (so a prefix
        that gets the size right counts before any cell is right)."""
        agree = self.agreement(state)
        size = sum(min(a.size, b.size) / max(a.size, b.size, 1) for a, b in zip(state[: self.n_train], self.outs))
        return (sum(e == 1.0 for e in agree) + sum(e or 0.0 for e in agree) + 0.5 * size) / self.n_train

    # ---- evaluation and scoring
    def evaluate(self, steps: list[Step], frame: Frame | None, cost: float) -> Hit | None:
        """Count one evaluation; prune failures and duplicates; score and record the rest."""
        self.n_evaluated += 1
        if frame is None:
            return None
        k = b"".join(frame[1])
        if k in self.seen:
            return None
        self.seen.add(k)
        return self.record(steps, frame, cost)

    def record(self, steps: list[Step], frame: Frame, cost: float) -> Hit:
        state = frame[0]
        agree = self.agreement(state)
        correct = [e == 1.0 for e in agree]
        hit = Hit(steps=steps, state=state, train_correct=correct, pixel_score=sum(e or 0.0 for e in agree) / len(correct),
                  cost=cost, found_at=self.n_evaluated, shapes_match=None not in agree)
        if all(correct):
            tk = b"".join(frame[1][self.n_train:])
            known = self.correct.get(tk)
            if known is None or known.cost > cost:
                if known is not None:  # a cheaper program for an answer already found then
                    hit.found_at = known.found_at
                self.correct[tk] = hit
        else:
            self.offer_near(hit)
        return hit

    def offer_near(self, hit: Hit) -> None:
        self._tiebreak += 1
        item = ((hit.train_accuracy, hit.pixel_score, -hit.cost), -self._tiebreak, hit)
        if len(self.near) < self.config.max_candidates:
            heapq.heappush(self.near, item)
        elif item[:2] > self.near[0][:2]:
            heapq.heapreplace(self.near, item)

    def colour_fix(self, steps: list[Step], frame: Frame, cost: float, hit: Hit) -> None:
        if (not self.config.colour_fix or hit.fully_correct or self.out_of_budget()
                or not hit.shapes_match or (steps and steps[-1][0] == COLOUR_FIX)):
            return
        for params in self.infer(COLOUR_FIX, frame):
            step = (COLOUR_FIX, params)
            self.evaluate(steps + [step], self.apply(step, frame),
                          cost + PRIMITIVES[COLOUR_FIX].cost + self.params_cost(params))

    def result(self) -> SearchResult:
        return build_result(self.correct, self.near, self.n_train, self.config,
                            self.n_evaluated, time.perf_counter() - self.start, self.exhausted)


def answer_key(hit: Hit, n_train: int) -> bytes:
    return b"".join(grid_digest(t) for t in hit.state[n_train:])


def build_result(correct: dict[bytes, Hit], near: list[tuple[tuple, int, Hit]], n_train: int, config: SearchConfig,
                 n_evaluated: int, elapsed_s: float, exhausted: str) -> SearchResult:
    """Candidates: train-correct ones cheapest first (one per answer), then near misses by train
    accuracy, pixel score and cost, less those whose test answer duplicates a correct one."""
    best = sorted(correct.values(), key=lambda h: (h.cost, len(h.steps)))
    ranked = [h for _, _, h in sorted(near, key=lambda t: t[:2], reverse=True)]
    ranked = [h for h in ranked if answer_key(h, n_train) not in correct]
    hits = (best + ranked)[: config.max_candidates]
    return SearchResult(candidates=[h.candidate(n_train) for h in hits], n_evaluated=n_evaluated,
                        elapsed_s=elapsed_s, exhausted=exhausted)
