"""The no-LLM proposer: the skill library is the model.

Sampling runs the in-process composition search (mechacoder_soar/library_search) with the
library steering it: retrieved seed skills put their primitive first in the search order (weighted
by their sampling EMA through the store's ranking), and retrieved learned compositions (skills
whose meta holds their step list) are tried first as depth-1 candidates — so a depth-3 solution
found today is a depth-1 candidate tomorrow. An unsolved task's closest misses from earlier
iterations (task_memory.py) lead those compositions, so a later iteration's search on the task
continues from where the earlier one got instead of repeating it.
The recognition model (mechacoder_soar/recognition), retrained whenever the library changed,
predicts from a task's grids which primitives and compositions it needs: its prediction leads
the order, the compositions and the per-primitive costs. Refinement mutates the parent's step
list, trying the primitive categories suited to its error pattern first. Retrieved skills that are plain code
(written by an LLM or an agent) are proposed as they are; the loop runs everything sandboxed.

No program is proposed twice for one task in one round (`start_task` opens a round; the loop
calls it once per task and iteration): a second call — a second `sample`, or REX refining the same
parent again — asks the search for more candidates and returns the next ones. `seed` perturbs the
primitive order past its first places, so calls with different seeds explore differently while
one seed always gives the same programs.
"""
from __future__ import annotations

import json
import random
import re
import threading
from dataclasses import dataclass, field, replace

from skills_store.schema import Skill, SkillIn, text_hash

from ..describe import describe_arc
from ..domain import Attempt, Task
from ..library import LibraryReader
from ..library_search.config import PriorConfig, SearchConfig
from ..library_search.prior import primitive_prior
from ..recognition import Prediction, Recognizer, RecognizerConfig
from ..task_memory import Stone, stones_by_task
from .base import Proposal

SEED_VERSION = 1


@dataclass
class LibrarySearchConfig:
    search: SearchConfig = field(default_factory=SearchConfig)  # each sample / refine call's search
    k_retrieve: int = 24      # skills retrieved to steer one task's search
    processes: int = 2        # the search is pure Python: processes, not threads, use both cores
    learn_prior: bool = True  # primitive costs from the library's solved programs (library_search/prior.py)
    prior: PriorConfig = field(default_factory=PriorConfig)
    recognition: bool = True  # the recognition model steers each task's search (mechacoder_soar/recognition)
    recognizer: RecognizerConfig = field(default_factory=RecognizerConfig)
    recognize_hindsight: bool = True  # hindsight programs (and their dreams) teach the recognition model too
    keep_order: int = 3       # a seeded call perturbs the primitive order only past this many places
    own_stones: int = 3       # an unsolved task's closest misses from earlier iterations lead the
                              # learned compositions; 0: off (task_memory.py)
    max_compositions: int = 12  # compositions learned on other tasks tried per search (the recognition
                              # model's first, then retrieved ones): past the first few, the weakly
                              # similar tail spends a small budget the primitives would use better


@dataclass
class Steering:
    """What the library contributes to one task's search: the primitive order, learned
    compositions to try first (best first), the learned prior and the recognition model's
    conditional costs (`search`'s step_prior); plain-code skills to propose as they are; and which
    skill each composition came from (for EMA credit)."""
    order: list[str]
    extras: list[list]
    prior: dict[str, float]
    plain: list[Skill]
    composite_ids: dict[str, str]
    stones: int = 0   # how many of `extras` (the first) are the task's own near misses (task_memory.py)
    step_prior: dict[str, dict[str, float]] = field(default_factory=dict)


def seed_skills() -> list[SkillIn]:
    """The seed library: one skill per DSL primitive, its source verbatim."""
    import inspect

    from ..library_search.primitives import PRIMITIVES, render_program

    def code_of(p) -> str:
        # A transform-style program when the primitive runs on defaults; otherwise its function,
        # whose parameters the search infers from the train pairs.
        params = list(inspect.signature(p.fn).parameters.values())[1:]
        if all(q.default is not inspect.Parameter.empty for q in params):
            return render_program([(p.name, {})])
        return p.source

    return [
        SkillIn(code=code_of(p), description=p.description, kind="arc", source="seed",
                signature=f"{p.name}(grid, **params) -> grid", tags=[p.category],
                meta={"primitive": p.name, "category": p.category, "seed_version": SEED_VERSION})
        for p in PRIMITIVES.values()
    ]


def ensure_seed_skills(library) -> int:
    """Add the seed skills; idempotent (dedup by code hash). Returns how many were new."""
    return len(library.add(seed_skills()).added)


def _steps(meta: dict) -> list | None:
    raw = meta.get("dsl")
    if not raw:
        return None
    try:
        steps = json.loads(raw)
        return [(s[0], dict(s[1])) for s in steps]
    except (ValueError, TypeError, IndexError):
        return None


_FILE_RE = re.compile(r"(?:/[\w.-]+)+|[\w-]+\.[A-Za-z0-9]{1,5}\b")


def file_names(text: str) -> list[str]:
    """Paths and file names mentioned in an instruction, in order of first appearance."""
    return list(dict.fromkeys(m.group(0) for m in _FILE_RE.finditer(text)))


def reuse_scripts(task: Task, skills: list[Skill], n: int) -> list[Proposal]:
    """Non-ARC tasks: retrieved scripts of similar solved tasks, with each file name their task
    mentioned replaced by the one this instruction mentions at the same position (names that
    line up with themselves, as in a script recorded for this very task, stay as they are)."""
    mine = file_names(task.instruction)
    out = []
    for s in skills:
        if len(out) >= n:
            break
        code = s.code
        for old, new in zip(file_names(s.description), mine):
            if old != new and old in s.code:
                code = code.replace(old, new)
        out.append(Proposal(code=code, context_skill_ids=[s.id], meta={"reused": s.id}))
    return out


def perturb_order(order: list[str], seed: int, keep: int) -> list[str]:
    """`order` with neighbours past the first `keep` places swapped at random (seeded); seed 0
    leaves it as it is. The search prices a primitive by its place in the order, so this changes
    which of nearly equally cheap programs come first, not what the library prefers."""
    if not seed or len(order) <= keep + 1:
        return list(order)
    rng = random.Random(seed)
    out = list(order)
    j = keep
    while j + 1 < len(out):
        if rng.random() < 0.5:
            out[j], out[j + 1] = out[j + 1], out[j]
            j += 1
        j += 1
    return out


class LibrarySearchProposer:
    def __init__(self, library: LibraryReader, config: LibrarySearchConfig | None = None):
        self.name = "library-search"
        self.library = library
        self.config = config or LibrarySearchConfig()
        self._seed_ids: dict[str, str] = {}
        self.prior: dict[str, float] = {}
        self.recognizer = Recognizer(self.config.recognizer) if self.config.recognition else None
        self._synced_at = -1  # library size when _seed_ids, prior and the recognizer were read from it
        self._sync_lock = threading.Lock()
        self._proposed: dict[str, set[str]] = {}  # task id -> hashes of the code proposed in this round
        self._program_ids: dict[str, str] = {}    # learned composition (json) -> its skill id, for credit
        self._views: dict[str, tuple[int, tuple] | None] = {}  # task id -> (synced at, _view) in its round
        self._stones: dict[str, list[Stone]] = {}  # task id -> its own programs in the library, best first
        self._pool = None
        self._pool_lock = threading.Lock()
        self._sync()

    def _run(self, fn, *args, **kw):
        """Run a search function in the process pool (spawned: never fork a process that holds
        Chroma, torch and executor threads)."""
        if self.config.processes <= 1:
            return fn(*args, **kw)
        return self._get_pool().submit(fn, *args, **kw).result()

    def _get_pool(self):
        with self._pool_lock:
            if self._pool is None:
                import multiprocessing as mp
                from concurrent.futures import ProcessPoolExecutor

                self._pool = ProcessPoolExecutor(self.config.processes, mp_context=mp.get_context("spawn"))
            return self._pool

    def _map(self, fn, jobs: list) -> list:
        """`map` over the process pool (the dreams of a retrain: every task waits for it, and
        the pool is idle then), in order; in-process with one process, or for a few jobs."""
        pool = self._get_pool() if self.config.processes > 1 and len(jobs) >= 4 * self.config.processes else None
        if pool is None:
            return list(map(fn, jobs))
        return list(pool.map(fn, jobs, chunksize=max(1, len(jobs) // (8 * self.config.processes))))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def observe(self, tasks) -> int:
        """Show the recognition model more tasks' train inputs to dream on (e.g. the tasks a stored
        library was learned on); it retrains on them at the next sync. Returns how many were new."""
        if self.recognizer is None:
            return 0
        new = self.recognizer.observe(tasks)
        if new:
            with self._sync_lock:
                self._synced_at = -1
        return new

    def start_task(self, task_id: str) -> None:
        """Open a new round for `task_id` (the loop calls this once per task and iteration): what
        was proposed for it before may be proposed again, and what the library says about it is
        read again at its first call."""
        self._proposed.pop(task_id, None)
        self._views[task_id] = None

    def _sync(self) -> None:
        """What the proposer reads from the whole library, in one scan, redone only when the
        library's size changed (it grows between iterations): primitive name -> seed skill id, so
        every primitive a program uses gets EMA credit; the search's learned prior from what the
        library's solved programs are made of; and the recognition model, retrained on every
        learned program (solved and hindsight) and its dreams."""
        with self._sync_lock:
            n = self.library.count()
            if n == self._synced_at:
                return
            seed_ids: dict[str, str] = {}
            solutions: dict[str, list[list]] = {}
            programs: dict[str, tuple[list, str | None]] = {}
            program_ids: dict[str, str] = {}
            own: list[tuple[Skill, list]] = []
            for s in self.library.all():
                if s.source == "seed" and "primitive" in s.meta:
                    seed_ids[s.meta["primitive"]] = s.id
                elif s.kind == "arc" and (steps := _steps(s.meta)):
                    if self.config.recognize_hindsight or s.source != "hindsight":
                        programs.setdefault(json.dumps(steps, sort_keys=True), (steps, s.origin_task_id))
                    program_ids.setdefault(json.dumps(steps), s.id)
                    own.append((s, steps))
                    if self.config.learn_prior and s.source == "solved":
                        solutions.setdefault(s.origin_task_id or s.id, []).append(steps)
            self.prior = primitive_prior(solutions, self.config.prior) if self.config.learn_prior else {}
            if self.recognizer is not None:
                self.recognizer.retrain(programs, self._map)
            self._stones = stones_by_task(own)
            self._seed_ids, self._program_ids, self._synced_at = seed_ids, program_ids, n

    def steer(self, task: Task, skills: list[Skill]) -> Steering:
        """Everything the library contributes to one task's search (sample and refine use it; so do
        the curriculum's student and the search-transfer benchmark, so they measure this proposer)."""
        self._sync()
        if self.recognizer is not None:
            self.recognizer.observe([task])  # material for the next retrain, never for this one
        pred, seeds, learned = self._view(task)
        seen, ordered = set(), []
        for s in list(skills) + seeds + learned:
            if s.id not in seen:
                seen.add(s.id)
                ordered.append(s)
        order = list(pred.order) + [s.meta["primitive"] for s in ordered if "primitive" in s.meta]
        # where earlier searches on this very task got to: the search starts from there (task_memory.py)
        own = self._stones.get(task.id, [])[: self.config.own_stones]
        extras, plain = [list(st.steps) for st in own] + [list(p) for p in pred.programs], []
        composite_ids = {k: self._program_ids[k] for k in map(json.dumps, extras) if k in self._program_ids}
        composite_ids.update({json.dumps(st.steps): st.skill_id for st in own})
        # Compositions that solved a real task first: the search extends only the first few, and a
        # hindsight program (right only for outputs it made up) is a weaker stepping stone.
        for s in sorted(ordered, key=lambda s: s.source != "solved"):
            st = _steps(s.meta)
            if st:
                extras.append(st)
                composite_ids[json.dumps(st)] = s.id
                order += [name for name, _ in st]  # what similar tasks' programs were made of
            elif "primitive" not in s.meta:
                plain.append(s)
        extras = _distinct(extras)[: len(own) + self.config.max_compositions]
        return Steering(order=list(dict.fromkeys(order)), extras=extras, prior=_combine(self.prior, pred.prior),
                        plain=plain, composite_ids=composite_ids, stones=len(own),
                        step_prior=pred.step_prior)

    def _view(self, task: Task) -> tuple[Prediction, list[Skill], list[Skill]]:
        """The recognition model's prediction for `task` and the seed and learned skills retrieved
        for it. Read once per round (`start_task`) while the library keeps its size: within a
        round the loop only searches (it learns, and moves EMAs, after every task's search), so
        every call of the round would get the same answer. Read afresh outside a round."""
        synced = self._synced_at
        cached = self._views.get(task.id)
        if cached is not None and cached[0] == synced:
            return cached[1]
        pred = self.recognizer.predict(task) if self.recognizer is not None else Prediction()
        query = describe_arc([(e.input, e.output) for e in task.train], task.test_inputs)
        k = self.config.k_retrieve
        # Seeds and learned skills are retrieved apart: as the library grows, learned skills would
        # otherwise crowd the seeds out of the top-k and the primitive order would lose its guide.
        seeds = [h.skill for h in self.library.retrieve_for_sampling(query, k, kind="arc", source="seed")]
        learned = [h.skill for h in self.library.retrieve_for_sampling(query, k, kind="arc") if h.skill.source != "seed"]
        view = (pred, seeds, learned)
        if task.id in self._views:  # in a round
            self._views[task.id] = (synced, view)
        return view

    def _credit(self, steps: list, composite_ids: dict[str, str]) -> list[str]:
        ids = []
        for j in range(len(steps), 0, -1):  # the longest learned prefix used
            sid = composite_ids.get(json.dumps(steps[:j]))
            if sid:
                ids.append(sid)
                break
        ids += [self._seed_ids[n] for n, _ in steps if n in self._seed_ids]
        return list(dict.fromkeys(ids))

    def _search_config(self, more: int = 0, stones: int = 0) -> SearchConfig:
        """The search's config; `more`: programs already proposed this round, asked for on top as
        candidates so the next ones come back; `stones`: the task's own near misses leading the
        learned compositions, which get extension places of their own on top of those of the
        compositions learned elsewhere (within the same budget). The stop after `stop_after_solutions` answers is kept:
        raising it too made every later call on a solved task run to its time limit looking for
        answers that rarely exist, for refinements of a task that is already solved."""
        c = self.config.search
        return replace(c, max_candidates=c.max_candidates + more,
                       max_learned_extended=c.max_learned_extended + stones)

    def _proposal(self, cand, composite_ids) -> Proposal:
        from ..library_search.primitives import render_program

        steps = [(n, p) for n, p in cand.steps]
        return Proposal(code=render_program(steps), context_skill_ids=self._credit(steps, composite_ids),
                        meta={"dsl": json.dumps(steps), "depth": len(steps)})

    def _fresh(self, task_id: str, props: list[Proposal], n: int) -> list[Proposal]:
        """The first `n` of `props` not proposed for `task_id` in this round (nor twice here).
        Keyed by the exact text, not the normalised code (`code_hash` parses and unparses every
        program, and a later call re-checks every candidate the search returns): the texts come
        from `render_program`, one text per step list, or from distinct stored skills."""
        seen = self._proposed.setdefault(task_id, set())
        out = []
        for p in props:
            if len(out) >= n:
                break
            h = text_hash(p.code)
            if h not in seen:
                seen.add(h)
                out.append(p)
        return out

    def sample(self, task: Task, skills: list[Skill], n: int, seed: int = 0) -> list[Proposal]:
        from ..library_search.search import search

        if task.kind != "arc":
            return self._fresh(task.id, reuse_scripts(task, skills, n + len(self._proposed.get(task.id, ()))), n)
        st = self.steer(task, skills)
        pairs = [(e.input, e.output) for e in task.train]
        more = len(self._proposed.get(task.id, ()))
        res = self._run(search, pairs, task.test_inputs, self._search_config(more, st.stones),
                        order=perturb_order(st.order, seed, self.config.keep_order), extra_programs=st.extras,
                        prior=st.prior, step_prior=st.step_prior)
        props = [self._proposal(c, st.composite_ids) for c in res.candidates]
        # plain-code skills (LLM/agent-written) are tried as they are, after the search's programs
        props += [Proposal(code=s.code, context_skill_ids=[s.id], meta={"reused": s.id}) for s in st.plain]
        return self._fresh(task.id, props, n)

    def refine(self, task: Task, parent: Attempt, skills: list[Skill], n: int, seed: int = 0) -> list[Proposal]:
        from ..library_search.search import diagnose, mutate

        steps = _steps(parent.meta)
        if task.kind != "arc" or not steps:
            return []
        pairs = [(e.input, e.output) for e in task.train]
        st = self.steer(task, skills)
        pattern = diagnose(pairs, parent.train_outputs) if not parent.error else "error"
        more = len(self._proposed.get(task.id, ()))
        cands = self._run(mutate, steps, pairs, task.test_inputs, self._search_config(more), error_pattern=pattern,
                          order=perturb_order(st.order, seed, self.config.keep_order), prior=st.prior)
        return self._fresh(task.id, [self._proposal(c, st.composite_ids) for c in cands], n)


def _distinct(programs: list[list]) -> list[list]:
    out, seen = [], set()
    for p in programs:
        k = json.dumps(p, sort_keys=True)
        if k not in seen:
            seen.add(k)
            out.append(p)
    return out


def _combine(base: dict[str, float], per_task: dict[str, float]) -> dict[str, float]:
    """The library-wide prior times the recognition model's per-task multipliers."""
    return {n: base.get(n, 1.0) * per_task.get(n, 1.0) for n in set(base) | set(per_task)}
