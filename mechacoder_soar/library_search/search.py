"""Enumerative composition search over the primitive library (icecuber-style, in-process).

Uniform-cost search over step lists: every node is a program, evaluated on all train and test
inputs when created (from its parent's grids, through the engine's step cache). Cheap primitives
(and those the caller prefers, via `order`) come first; parameters are inferred from (current
intermediate grids, train outputs); a node whose grids equal a node seen before — over every train
and test input — or that fails on any input is pruned; a node whose shapes already match the
outputs gets a free "colour-map fix" child. Budget (programs evaluated) and wall time are hard
limits; open nodes are capped in number and in grid bytes. `SearchConfig.processes` > 1 splits
one search's frontier over processes (`frontier.py`).
"""
from __future__ import annotations

import heapq
from typing import Any, Iterable, Sequence

from .engine import Engine, Frame, params_key
from .gc_pause import paused_gc
from .primitives import PRIMITIVES, Step, to_array, validate_steps
from .search_types import COLOUR_FIX, PATTERN_CATEGORIES, Candidate, SearchConfig, SearchResult

__all__ = ["COLOUR_FIX", "PATTERN_CATEGORIES", "Candidate", "SearchConfig", "SearchResult", "composition_variants",
           "diagnose", "mutate", "search"]


def _ordered_primitives(order: Iterable[str] | None, config: SearchConfig, categories: Sequence[str] = (),
                        prior: dict[str, float] | None = None) -> list[tuple[float, str]]:
    """(effective cost, name), cheapest first: each primitive's cost times its learned prior
    multiplier (prior.py); then `order` names get a discount that shrinks with rank, preferred
    categories a smaller one."""
    pref = {n: i for i, n in enumerate(order or []) if n in PRIMITIVES}
    prior = prior or {}
    out = []
    for name, p in PRIMITIVES.items():
        c = p.cost * prior.get(name, 1.0)
        if name in pref:
            c = c * config.preferred_discount + 0.01 * pref[name]
        elif p.category in categories:
            c = c * (0.5 + 0.5 * config.preferred_discount) + 0.05 * categories.index(p.category)
        out.append((c, name))
    out.sort()
    return out


class _StepOrders:
    """The cheapest-first primitive list a node's children are tried in. One list for every node,
    unless `step_prior` (previous step's primitive name -> extra cost multipliers for the next
    step; "" for the first step) names the node's last primitive: then that list, built once."""

    def __init__(self, order: list[str] | None, config: SearchConfig, prior: dict[str, float] | None,
                 step_prior: dict[str, dict[str, float]] | None):
        self.order, self.config, self.prior, self.step_prior = order, config, prior or {}, step_prior or {}
        self.default = _ordered_primitives(order, config, prior=prior)
        self.lists: dict[str, list[tuple[float, str]]] = {}

    def after(self, steps: Sequence[Step]) -> list[tuple[float, str]]:
        key = steps[-1][0] if steps else ""
        extra = self.step_prior.get(key)
        if not extra:
            return self.default
        if key not in self.lists:
            prior = {n: self.prior.get(n, 1.0) * extra.get(n, 1.0) for n in PRIMITIVES}
            self.lists[key] = _ordered_primitives(self.order, self.config, prior=prior)
        return self.lists[key]

class _Node:
    """An expandable program: its steps, grids, cost (with the shape penalty) and depth."""
    __slots__ = ("steps", "frame", "base", "depth", "nbytes", "prims")

    def __init__(self, steps: list[Step], frame: Frame, base: float, depth: int, prims: list[tuple[float, str]]):
        self.steps, self.frame, self.base, self.depth, self.prims = steps, frame, base, depth, prims
        self.nbytes = sum(a.nbytes for a in frame[0])


class _UniformCost:
    """The search loop. Heap entries: (priority, tiebreak, index of the next primitive to try,
    node). One entry per node: popping it tries primitive `idx` and re-pushes the node for
    idx + 1, which enumerates children cheapest-first lazily. `shard` = (worker, workers) keeps
    only this worker's share of the root's primitives (frontier splitting)."""

    def __init__(self, eng: Engine, orders: _StepOrders, extra_programs: Iterable[Sequence[Step]],
                 shard: tuple[int, int] = (0, 1)):
        self.eng, self.config, self.orders, self.shard = eng, eng.config, orders, shard
        self.heap: list[tuple[float, int, int, _Node]] = []
        self.counter = 0
        self.open_bytes = 0
        self.peak_open = (0, 0)   # most open nodes and most open-node grid bytes seen at once
        self.root_progress = eng.progress(eng.root[0])
        self.n_extended = 0
        # Learned compositions are depth-1 candidates in the same cheapest-first order: the top
        # ranked one costs as a preferred primitive, each later one a little more, so a long tail of
        # weakly similar compositions waits behind the primitives instead of eating a small budget.
        c = self.config
        learned = [(c.learned_cost + c.learned_rank_step * r, prog) for r, prog in enumerate(extra_programs)]
        self.learned = learned[::-1] if shard[0] == 0 else []   # popped from the end, cheapest first

    def push(self, steps: list[Step], frame: Frame, cost: float, depth: int, shapes_match: bool) -> None:
        c = self.config
        if depth >= c.max_depth or len(self.heap) >= c.max_open_nodes:
            return
        node = _Node(steps, frame, cost + (0.0 if shapes_match else c.shape_penalty), depth, self.orders.after(steps))
        if self.open_bytes + node.nbytes > c.max_open_bytes:
            return
        self.open_bytes += node.nbytes
        self._enqueue(node, 0)
        self.peak_open = (max(self.peak_open[0], len(self.heap)), max(self.peak_open[1], self.open_bytes))

    def _enqueue(self, node: _Node, idx: int) -> None:
        if node.depth == 0:   # the root's primitives are what frontier splitting shares out
            worker, workers = self.shard
            idx += (worker - idx) % workers
        if idx >= len(node.prims):
            self.open_bytes -= node.nbytes
            return
        self.counter += 1
        heapq.heappush(self.heap, (node.base + node.prims[idx][0], self.counter, idx, node))

    def run(self) -> Engine:
        eng = self.eng
        self.push([], eng.root, 0.0, 0, eng.shapes_match(eng.root[0]))
        while (self.heap or self.learned) and not eng.out_of_budget():
            if self.learned and (not self.heap or self.learned[-1][0] <= self.heap[0][0]):
                cost, prog = self.learned.pop()
                self.try_learned(prog, cost)
                continue
            _, _, idx, node = heapq.heappop(self.heap)
            self._enqueue(node, idx + (self.shard[1] if node.depth == 0 else 1))
            self.expand(node, idx)
        eng.peak_open = self.peak_open
        return eng

    def expand(self, node: _Node, idx: int) -> None:
        eng = self.eng
        pcost, name = node.prims[idx]
        for params in eng.infer(name, node.frame):
            if eng.out_of_budget():
                break
            step = (name, params)
            child = eng.apply(step, node.frame)
            new_steps = node.steps + [step]
            cost = node.base + pcost + eng.params_cost(params)
            hit = eng.evaluate(new_steps, child, cost)
            if hit is None or child is None:
                continue
            eng.colour_fix(new_steps, child, cost, hit)
            self.push(new_steps, child, cost, node.depth + 1, hit.shapes_match)

    def try_learned(self, prog: Sequence[Step], cost: float) -> None:
        """A learned composition is tried as it is (it was a solution once), then as a template:
        the last step's settings, then every step's, re-inferred on this task. Trying one costs a
        few evaluations; extending one as a depth-1 node costs ~150 per level, so only variants
        that make progress are extended (a prefix that moves the grids away from the outputs is
        no stepping stone), and only for the first few such programs."""
        eng, c = self.eng, self.config
        extended = False
        for v in composition_variants(eng, prog, c.refit_learned):
            if eng.out_of_budget():
                break
            frame = eng.run_from(eng.root, v)
            hit = eng.evaluate(v, frame, cost)
            if hit is not None and frame is not None:
                eng.colour_fix(v, frame, cost, hit)
                if self.n_extended < c.max_learned_extended and eng.progress(frame[0]) > self.root_progress:
                    self.push(v, frame, cost, 1, hit.shapes_match)  # a learned composition counts as one step
                    extended = True
        self.n_extended += extended


def composition_variants(eng: Engine, prog: Sequence[Step], refit: bool = True) -> list[list[Step]]:
    """How the search tries a learned composition on a task: as it is, then (with `refit`) with the
    last step's settings and then every step's re-inferred on this task, distinct variants only.
    Empty when `prog` is no valid step list."""
    try:
        prog = validate_steps(prog)
    except ValueError:
        return []
    variants = [list(prog)]
    if refit:
        for steps in (range(len(prog) - 1, len(prog)), range(len(prog))):
            v = eng.retemplate(prog, steps)
            if v is not None and v not in variants:
                variants.append(v)
    return variants


def search(
    train_pairs: Sequence,
    test_inputs: Sequence,
    config: SearchConfig | None = None,
    order: list[str] | None = None,
    extra_programs: Iterable[Sequence[Step]] = (),
    prior: dict[str, float] | None = None,
    step_prior: dict[str, dict[str, float]] | None = None,
) -> SearchResult:
    """Compose primitives up to `config.max_depth`, cheapest first, until the budget, the time limit
    or the space runs out. `train_pairs`: (input, output) tuples or {'input','output'} dicts.
    `order`: primitive names to prefer. `prior`: learned cost multipliers per primitive (prior.py).
    `extra_programs`: learned compositions, best first: each is a depth-1 candidate costing
    `config.learned_cost` plus `learned_rank_step` per rank, tried (also with re-inferred settings)
    in cost order with the primitives; the first few that bring the grids closer are extended.
    `step_prior`: conditional cost multipliers, previous step's primitive ("" for the first step) ->
    primitive -> multiplier on top of `prior` (e.g. the recognition model's first-step prediction).
    Candidates: fully-correct first (cheapest first, one per distinct test answer), then near
    misses by train accuracy and pixel score."""
    config = config or SearchConfig()
    if config.processes > 1:
        from .frontier import split_search

        return split_search(train_pairs, test_inputs, config, order, list(extra_programs), prior, step_prior)
    with paused_gc():   # until the engine and its step cache are freed (gc_pause.py)
        return search_shard(train_pairs, test_inputs, config, order, extra_programs, prior,
                            step_prior=step_prior).result()


def search_shard(train_pairs: Sequence, test_inputs: Sequence, config: SearchConfig, order: list[str] | None,
                 extra_programs: Iterable[Sequence[Step]], prior: dict[str, float] | None,
                 shard: tuple[int, int] = (0, 1), step_prior: dict[str, dict[str, float]] | None = None) -> Engine:
    """One search (or one worker's share of it); the engine holds what it found."""
    eng = Engine(train_pairs, test_inputs, config)
    eng.seen.add(b"".join(eng.root[1]))
    with paused_gc():   # frontier workers call this directly; within `search` the pauses nest
        return _UniformCost(eng, _StepOrders(order, config, prior, step_prior), extra_programs, shard).run()


class _Mutation:
    """Refinement of one parent program: each step re-inferred in place, then one step appended,
    replaced or prepended, every variant run from the grids its unchanged prefix already made."""

    def __init__(self, eng: Engine, parent: list[Step]):
        self.eng, self.parent = eng, parent
        self.frames = eng.frames_of(parent)   # None: the parent fails somewhere
        if self.frames is not None:
            # variants that reproduce the parent's grids exactly are not new: dedup them away
            eng.seen.add(b"".join(self.frames[-1][1]))

    def try_program(self, steps: list[Step], base: Frame, step: Step, rest: Sequence[Step]) -> None:
        self.eng.evaluate(steps, self.eng.run_from(self.eng.apply(step, base), rest), float(len(steps)))

    def refit_in_place(self) -> None:
        eng, parent = self.eng, self.parent
        for i, (name, old) in enumerate(parent):
            if PRIMITIVES[name].infer is None:
                continue
            for params in eng.infer(name, self.frames[i]):
                if eng.out_of_budget():
                    break
                if params_key(params) == params_key(old):
                    continue
                self.try_program(parent[:i] + [(name, params)] + parent[i + 1:], self.frames[i], (name, params),
                                 parent[i + 1:])

    def edits(self) -> list[tuple[Frame, list[Step], list[Step], str | None]]:
        """(grids the new step sees, steps before it, steps after it, primitive it must differ from)."""
        parent, frames, root = self.parent, self.frames, self.eng.root
        out = []
        if frames is not None:
            out.append((frames[-1], parent, [], None))
        for i in range(len(parent) - 1, -1, -1):
            if frames is None and i > 0:
                continue
            out.append((frames[i] if frames is not None else root, parent[:i], parent[i + 1:], parent[i][0]))
        out.append((root, [], parent, None))
        return out

    def run(self, prims: list[tuple[float, str]]) -> None:
        eng = self.eng
        if self.frames is not None:
            self.refit_in_place()
        edits = self.edits()
        for _, name in prims:
            for base, head, rest, replaced in edits:
                if eng.out_of_budget():
                    break
                if name == replaced:
                    continue
                for params in eng.infer(name, base):
                    if eng.out_of_budget():
                        break
                    self.try_program(head + [(name, params)] + rest, base, (name, params), rest)


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
    eng = Engine(train_pairs, test_inputs, config)
    cats = PATTERN_CATEGORIES.get(error_pattern or "", ())
    _Mutation(eng, parent).run(_ordered_primitives(order, config, cats, prior))
    return eng.result().candidates


def diagnose(train_pairs: Sequence, predicted_outputs: Sequence[Any]) -> str:
    """Classify how predictions miss the train outputs: "error" (a prediction is missing or not a
    grid), "wrong_shape", "correct", "right_shape_wrong_colours" (the layout of filled cells is
    right but colours differ), "few_pixels_off" (<= 5% of cells or <= 3 cells wrong), or
    "right_shape_wrong_content"."""
    if len(predicted_outputs) != len(train_pairs):
        return "error"
    outs, preds = [], []
    for pair, p in zip(train_pairs, predicted_outputs):
        b = pair["output"] if isinstance(pair, dict) else pair[1]
        if p is None:
            return "error"
        try:
            pa = to_array(p)
        except (ValueError, TypeError):
            return "error"
        outs.append(to_array(b))
        preds.append(pa)
    if any(a.shape != b.shape for a, b in zip(preds, outs)):
        return "wrong_shape"
    wrong = [int((a != b).sum()) for a, b in zip(preds, outs)]
    if sum(wrong) == 0:
        return "correct"
    if all((a != 0).tolist() == (b != 0).tolist() for a, b in zip(preds, outs)):
        return "right_shape_wrong_colours"
    if all(w <= 3 or w <= 0.05 * b.size for w, b in zip(wrong, outs)):
        return "few_pixels_off"
    return "right_shape_wrong_content"
