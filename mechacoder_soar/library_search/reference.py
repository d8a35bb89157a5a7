"""The composition search as it was before the engine rewrite, kept verbatim as a reference.

Used only by `benchmarks/search_speed.py` (old engine vs new, side by side) and by the test that
checks the new engine returns the same candidates at an equal program count. It shares the config
and result types with `search.py`, so its candidates compare directly.
"""
from __future__ import annotations

import heapq
import json
import time
from typing import Iterable, Sequence

import numpy as np

from .primitives import PRIMITIVES, Step, apply_step, to_array, to_grid, validate_steps
from .search_types import COLOUR_FIX, PATTERN_CATEGORIES, Candidate, SearchConfig, SearchResult
# the cost order is shared, not copied: both engines must try primitives in the same order
from .search import _ordered_primitives

State = tuple[np.ndarray, ...]


def _key(state: State) -> bytes:
    return b"|".join(np.asarray(a.shape, dtype=np.int64).tobytes() + np.ascontiguousarray(a, dtype=np.int64).tobytes()
                     for a in state)


def _params_key(params: dict) -> str:
    return json.dumps(params, sort_keys=True)


def _params_cost(params: dict) -> float:
    # description-length tie-break: among equally cheap programs prefer the one with less to
    # specify (a 6-entry colour map that happens to fit beats nothing; a plain flip beats it)
    return 0.003 * len(json.dumps(params)) if params else 0.0


class _Engine:
    """Shared evaluation machinery: inputs, budget/deadline accounting, dedup and scoring."""

    def __init__(self, train_pairs: Sequence, test_inputs: Sequence, config: SearchConfig):
        if not train_pairs:
            raise ValueError("search needs at least one train pair")
        self.config = config
        self.start = time.perf_counter()
        self.deadline = self.start + config.time_limit_s
        ins, outs = [], []
        for i, pair in enumerate(train_pairs):
            try:
                a, b = (pair["input"], pair["output"]) if isinstance(pair, dict) else pair
            except (KeyError, TypeError, ValueError):
                raise ValueError(f"train pair {i} must be (input, output) or a dict with 'input'/'output'") from None
            ins.append(to_array(a))
            outs.append(to_array(b))
        self.ins, self.outs = ins, outs
        self.tests = [to_array(t) for t in test_inputs]
        self.n_train = len(ins)
        self.n_evaluated = 0
        self.exhausted = ""
        self.seen: set[bytes] = set()
        self.correct: dict[bytes, Candidate] = {}     # keyed by test outputs: distinct answers only
        self.near: list[tuple[tuple, int, Candidate]] = []
        self._tiebreak = 0

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

    # ---- evaluation
    def apply(self, step: Step, state: State) -> State | None:
        out = []
        for a in state:
            r = apply_step(step, a)
            if r is None:
                return None
            out.append(r)
        return tuple(out)

    def train_pairs_of(self, state: State) -> list[tuple[np.ndarray, np.ndarray]]:
        return list(zip(state[: self.n_train], self.outs))

    def shapes_match(self, state: State) -> bool:
        return all(a.shape == b.shape for a, b in zip(state[: self.n_train], self.outs))

    def infer(self, name: str, state: State) -> list[dict]:
        prim = PRIMITIVES[name]
        if prim.infer is None:
            return [{}]
        try:
            params = prim.infer(self.train_pairs_of(state))
        except Exception:
            return []
        return list(params)[: self.config.max_params_per_step]

    def retemplate(self, prog: Sequence[Step], steps_to_refit: Iterable[int]) -> list[Step] | None:
        """`prog` with the parameters of the given steps re-inferred on *this* task (first inferred
        setting; the learned one where inference has nothing). A composition learned on one task
        with its colours and sizes baked in becomes a template for tasks that need the same steps
        with other settings. None if the program stops applying."""
        refit = set(steps_to_refit)
        state: State | None = tuple(self.ins) + tuple(self.tests)
        out: list[Step] = []
        for i, (name, params) in enumerate(prog):
            if i in refit and PRIMITIVES[name].infer is not None:
                params = next(iter(self.infer(name, state)), params)
            out.append((name, params))
            state = self.apply((name, params), state)
            if state is None:
                return None
        return out

    def evaluate(self, steps: list[Step], state: State | None, cost: float) -> Candidate | None:
        """Count one evaluation; prune failures and duplicates; score and record the rest."""
        self.n_evaluated += 1
        if state is None:
            return None
        k = _key(state)
        if k in self.seen:
            return None
        self.seen.add(k)
        return self.record(steps, state, cost)

    def agreement(self, state: State) -> list[float | None]:
        """Per train pair: the fraction of cells equal to the output, None where shapes differ."""
        return [float((a == b).mean()) if a.shape == b.shape else None for a, b in zip(state[: self.n_train], self.outs)]

    def progress(self, state: State) -> float:
        """How close a state's train grids are to the outputs: solved pairs, plus cells in
        agreement where shapes match, plus half the closeness of the cell counts (so a prefix
        that gets the size right counts before any cell is right)."""
        agree = self.agreement(state)
        size = sum(min(a.size, b.size) / max(a.size, b.size, 1) for a, b in zip(state[: self.n_train], self.outs))
        return (sum(e == 1.0 for e in agree) + sum(e or 0.0 for e in agree) + 0.5 * size) / self.n_train

    def record(self, steps: list[Step], state: State, cost: float) -> Candidate:
        train = state[: self.n_train]
        agree = self.agreement(state)
        correct = [e == 1.0 for e in agree]
        pix = sum(e or 0.0 for e in agree)
        cand = Candidate(
            steps=list(steps), train_correct=correct, train_accuracy=sum(correct) / len(correct),
            pixel_score=pix / len(correct), test_outputs=[to_grid(t) for t in state[self.n_train:]],
            train_outputs=[to_grid(a) for a in train], cost=cost, found_at=self.n_evaluated,
        )
        if cand.fully_correct:
            tk = _key(state[self.n_train:])
            known = self.correct.get(tk)
            if known is None or known.cost > cost:
                if known is not None:  # a cheaper program for an answer already found then
                    cand.found_at = known.found_at
                self.correct[tk] = cand
        else:
            rank = (cand.train_accuracy, cand.pixel_score, -cost)
            self._tiebreak += 1
            item = (rank, -self._tiebreak, cand)
            if len(self.near) < self.config.max_candidates:
                heapq.heappush(self.near, item)
            elif item[:2] > self.near[0][:2]:
                heapq.heapreplace(self.near, item)
        return cand

    def colour_fix(self, steps: list[Step], state: State, cost: float, cand: Candidate) -> None:
        if (not self.config.colour_fix or cand.fully_correct or self.out_of_budget()
                or not self.shapes_match(state) or (steps and steps[-1][0] == COLOUR_FIX)):
            return
        for params in self.infer(COLOUR_FIX, state):
            step = (COLOUR_FIX, params)
            self.evaluate(steps + [step], self.apply(step, state),
                          cost + PRIMITIVES[COLOUR_FIX].cost + _params_cost(params))

    def run_program(self, steps: Sequence[Step]) -> State | None:
        state: State | None = tuple(self.ins) + tuple(self.tests)
        for step in steps:
            state = self.apply(step, state)
            if state is None:
                return None
        return state

    def result(self) -> SearchResult:
        correct = sorted(self.correct.values(), key=lambda c: (c.cost, len(c.steps)))
        near = [c for _, _, c in sorted(self.near, key=lambda t: t[:2], reverse=True)]
        # a near miss whose test answer duplicates a correct one adds nothing
        answers = {json.dumps(c.test_outputs) for c in correct}
        near = [c for c in near if json.dumps(c.test_outputs) not in answers]
        cands = (correct + near)[: self.config.max_candidates]
        return SearchResult(candidates=cands, n_evaluated=self.n_evaluated,
                            elapsed_s=time.perf_counter() - self.start, exhausted=self.exhausted)


def search(
    train_pairs: Sequence,
    test_inputs: Sequence,
    config: SearchConfig | None = None,
    order: list[str] | None = None,
    extra_programs: Iterable[Sequence[Step]] = (),
    prior: dict[str, float] | None = None,
) -> SearchResult:
    """The engine before the rewrite, kept for the speed benchmark and the equivalence tests: the
    contract (arguments, order, pruning, candidates) is `search.search`'s."""
    config = config or SearchConfig()
    eng = _Engine(train_pairs, test_inputs, config)
    prims = _ordered_primitives(order, config, prior=prior)
    root_state: State = tuple(eng.ins) + tuple(eng.tests)
    eng.seen.add(_key(root_state))
    # heap entries: (priority, tiebreak, index of the next primitive to try, steps, grids,
    # node cost incl. shape penalty, depth). One entry per node: popping it tries primitive `idx`
    # and re-pushes the node for idx + 1, which enumerates children cheapest-first lazily.
    heap: list[tuple[float, int, int, list[Step], State, float, int]] = []
    counter = 0

    def push(steps: list[Step], state: State, cost: float, depth: int) -> None:
        nonlocal counter
        if depth >= config.max_depth or len(heap) >= config.max_open_nodes:
            return
        pen = 0.0 if eng.shapes_match(state) else config.shape_penalty
        counter += 1
        heapq.heappush(heap, (cost + pen + prims[0][0], counter, 0, steps, state, cost + pen, depth))

    # Learned compositions are depth-1 candidates in the same cheapest-first order: the top-ranked
    # one costs as a preferred primitive, each later one a little more, so a long tail of weakly
    # similar compositions waits behind the primitives instead of eating a small budget first.
    # Each is tried as it is (it was a solution once), then as a template: the last step's
    # settings, then every step's, re-inferred on this task. Trying one costs a few evaluations;
    # extending one as a depth-1 node costs ~150 per level, so only variants that make progress are
    # extended (a prefix that moves the grids away from the outputs is no stepping stone), and only
    # for the first few such programs.
    root_progress = eng.progress(root_state)
    n_extended = 0
    learned = [(config.learned_cost + config.learned_rank_step * r, prog) for r, prog in enumerate(extra_programs)]
    learned.reverse()  # popped from the end, cheapest first

    def try_learned(prog: Sequence[Step], cost: float) -> None:
        nonlocal n_extended
        try:
            prog = validate_steps(prog)
        except ValueError:
            return
        variants = [list(prog)]
        if config.refit_learned:
            for refit in (range(len(prog) - 1, len(prog)), range(len(prog))):
                v = eng.retemplate(prog, refit)
                if v is not None and v not in variants:
                    variants.append(v)
        extended = False
        for v in variants:
            if eng.out_of_budget():
                break
            state = eng.run_program(v)
            cand = eng.evaluate(v, state, cost)
            if cand is not None and state is not None:
                eng.colour_fix(v, state, cost, cand)
                if n_extended < config.max_learned_extended and eng.progress(state) > root_progress:
                    push(v, state, cost, 1)  # a learned composition counts as one step
                    extended = True
        n_extended += extended

    push([], root_state, 0.0, 0)
    while (heap or learned) and not eng.out_of_budget():
        if learned and (not heap or learned[-1][0] <= heap[0][0]):
            cost, prog = learned.pop()
            try_learned(prog, cost)
            continue
        _, _, idx, steps, state, base, depth = heapq.heappop(heap)
        if idx + 1 < len(prims):
            counter += 1
            heapq.heappush(heap, (base + prims[idx + 1][0], counter, idx + 1, steps, state, base, depth))
        pcost, name = prims[idx]
        for params in eng.infer(name, state):
            if eng.out_of_budget():
                break
            step = (name, params)
            child = eng.apply(step, state)
            new_steps = steps + [step]
            cost = base + pcost + _params_cost(params)
            cand = eng.evaluate(new_steps, child, cost)
            if cand is None or child is None:
                continue
            eng.colour_fix(new_steps, child, cost, cand)
            push(new_steps, child, cost, depth + 1)
    return eng.result()


def mutate(
    parent_steps: Sequence[Step],
    train_pairs: Sequence,
    test_inputs: Sequence,
    config: SearchConfig | None = None,
    error_pattern: str | None = None,
    order: list[str] | None = None,
    prior: dict[str, float] | None = None,
) -> list[Candidate]:
    """Refine a parent program: re-infer each step's params on its actual intermediate grids, then
    append, prepend or replace a step, trying the categories suited to `error_pattern` first (see
    `diagnose`). Returns distinct evaluated candidates, best first, within the budget/time limit."""
    config = config or SearchConfig()
    parent = validate_steps(parent_steps)
    eng = _Engine(train_pairs, test_inputs, config)
    cats = PATTERN_CATEGORIES.get(error_pattern or "", ())
    prims = _ordered_primitives(order, config, cats, prior)
    found: list[Candidate] = []

    def states_of(steps: Sequence[Step]) -> list[State] | None:
        states: list[State] = [tuple(eng.ins) + tuple(eng.tests)]
        for step in steps:
            s = eng.apply(step, states[-1])
            if s is None:
                return None
            states.append(s)
        return states

    def run_from(state: State, steps: Sequence[Step]) -> State | None:
        for step in steps:
            state = eng.apply(step, state)
            if state is None:
                return None
        return state

    def try_program(steps: list[Step], state: State | None) -> None:
        cand = eng.evaluate(steps, state, float(len(steps)))
        if cand is not None:
            found.append(cand)

    root = tuple(eng.ins) + tuple(eng.tests)
    parent_states = states_of(parent)
    if parent_states is not None:
        # variants that reproduce the parent's grids exactly are not new: dedup them away
        eng.seen.add(_key(parent_states[-1]))

    # 1. re-infer parameters of each step in place, on the grids that step actually sees
    if parent_states is not None:
        for i, (name, old) in enumerate(parent):
            if PRIMITIVES[name].infer is None:
                continue
            for params in eng.infer(name, parent_states[i]):
                if eng.out_of_budget():
                    break
                if _params_key(params) == _params_key(old):
                    continue
                new = parent[:i] + [(name, params)] + parent[i + 1:]
                st = eng.apply((name, params), parent_states[i])
                try_program(new, None if st is None else run_from(st, parent[i + 1:]))

    edits: list[tuple[str, int]] = []
    if parent_states is not None:
        edits.append(("append", len(parent)))
    edits += [("replace", i) for i in range(len(parent) - 1, -1, -1)]
    edits.append(("prepend", 0))
    for _, name in prims:
        for kind, i in edits:
            if eng.out_of_budget():
                break
            if kind == "append":
                base, rest, head = parent_states[-1], [], parent
            elif kind == "replace":
                if parent_states is None and i > 0:
                    continue
                base = parent_states[i] if parent_states is not None else root
                head, rest = parent[:i], parent[i + 1:]
                if name == parent[i][0]:
                    continue
            else:
                base, head, rest = root, [], parent
            for params in eng.infer(name, base):
                if eng.out_of_budget():
                    break
                st = eng.apply((name, params), base)
                if st is not None and rest:
                    st = run_from(st, rest)
                new = head + [(name, params)] + rest
                try_program(new, st)
    res = eng.result()
    return res.candidates
