"""Test-time adaptation never touches target test outputs before scoring.

The tasks handed to the loop carry *poisoned* test outputs: an object that raises on any access
(iteration, indexing, length, truth value, equality, attributes, serialisation) unless the scorer
(`score_iteration`) is running. The Oracle is watched too: every read must happen inside the
scorer. Proposers and environments are spied on: they must only ever see `test_outputs is None`.
If any engine on the search/learn path peeked, the run would crash or a spy would record it.
"""
from __future__ import annotations

import threading

import pytest

import graphs.soar_loop as loop_mod
import mechacoder_soar.assembly as assembly_mod
import mechacoder_soar.proposers.factory as factory
import mechacoder_soar.suites as suites
from graphs.runner import run_loop
from mechacoder_soar.config import RunConfig
from mechacoder_soar.library_search.config import SearchConfig
from mechacoder_soar.oracle import Oracle
from mechacoder_soar.proposers.base import Proposal

# the backend is irrelevant to the leak proof; one backend keeps the suite fast
pytestmark = pytest.mark.store_backends("embedded")

FLIP, TRANSPOSE = "68b16354", "74dd1130"
GOOD = {FLIP: "def transform(grid):\n    return grid[::-1]",
        TRANSPOSE: "def transform(grid):\n    return [list(r) for r in zip(*grid)]"}
WRONG = "def transform(grid):\n    return [[(v + 1) % 10 for v in r] for r in grid]"


class Scoring:
    """True only while the scorer runs (thread-local would be wrong: the scorer is one node)."""
    active = False
    lock = threading.Lock()


class PoisonLeak(AssertionError):
    pass


class Poison:
    """Stands in for a task's test outputs; usable only while `Scoring.active`."""

    def __init__(self, real):
        object.__setattr__(self, "_real", list(real))

    def _get(self):
        if not Scoring.active:
            raise PoisonLeak("hidden test outputs were read outside score_iteration")
        return object.__getattribute__(self, "_real")

    def __iter__(self):
        return iter(self._get())

    def __getitem__(self, i):
        return self._get()[i]

    def __len__(self):
        return len(self._get())

    def __bool__(self):
        return bool(self._get())

    def __eq__(self, other):
        return self._get() == other

    __hash__ = None

    def __repr__(self):
        return "Poison(" + repr(self._get()) + ")"

    def __getattr__(self, name):
        return getattr(self._get(), name)

    def __reduce__(self):
        self._get()
        return (Poison, (self._real,))


def poisoned(tasks):
    return [t.model_copy(update={"test_outputs": Poison(t.test_outputs)}) for t in tasks]


class WatchedOracle(Oracle):
    last: "WatchedOracle | None" = None

    def __init__(self, tasks):
        super().__init__(tasks)
        self.outside: list[tuple[str, str]] = []
        WatchedOracle.last = self

    def _note(self, what, task_id):
        if not Scoring.active:
            self.outside.append((what, task_id))

    def has_answers(self, task_id):
        self._note("has_answers", task_id)
        return super().has_answers(task_id)

    def test_correct(self, task_id, test_outputs, phase="score"):
        self._note("test_correct", task_id)
        return super().test_correct(task_id, test_outputs, phase)

    def pass_at_2(self, task_id, submissions, phase="score"):
        self._note("pass_at_2", task_id)
        return super().pass_at_2(task_id, submissions, phase)


class SpyProposer:
    """Wraps a proposer; records the test outputs of every task it is shown."""

    def __init__(self, inner):
        self.inner, self.name, self.seen = inner, inner.name, []

    def sample(self, task, skills, n, seed=0):
        self.seen.append(("sample", task.id, task.test_outputs))
        return self.inner.sample(task, skills, n, seed)

    def refine(self, task, parent, skills, n, seed=0):
        self.seen.append(("refine", task.id, task.test_outputs))
        return self.inner.refine(task, parent, skills, n, seed)


class SpyEnv:
    def __init__(self, inner, seen):
        self.inner, self.kind, self.seen = inner, inner.kind, seen

    def __getattr__(self, name):
        fn = getattr(self.inner, name)

        def call(task, *a, **kw):
            self.seen.append((name, task.id, task.test_outputs))
            return fn(task, *a, **kw)

        return call if name in ("evaluate", "describe", "feedback", "relabel") else fn


class Scripted:
    name = "scripted"

    def sample(self, task, skills, n, seed=0):
        return [Proposal(WRONG, [s.id for s in skills[:2]])][:n]

    def refine(self, task, parent, skills, n, seed=0):
        return [Proposal(GOOD[task.id], [s.id for s in skills[:1]])]


@pytest.fixture
def guarded(monkeypatch):
    """Poison the suite's test outputs, arm them only inside score_iteration, watch the Oracle,
    spy on proposer and environments. Returns a dict the test fills/reads."""
    state: dict = {"env_seen": []}
    real_load = suites.load_tasks
    monkeypatch.setattr(suites, "load_tasks", lambda *a, **kw: poisoned(real_load(*a, **kw)))
    real_score = loop_mod.score_iteration

    def score(*a, **kw):
        with Scoring.lock:
            Scoring.active = True
            try:
                return real_score(*a, **kw)
            finally:
                Scoring.active = False

    monkeypatch.setattr(loop_mod, "score_iteration", score)
    monkeypatch.setattr(assembly_mod, "Oracle", WatchedOracle)
    real_envs = assembly_mod.open_environments
    monkeypatch.setattr(assembly_mod, "open_environments",
                        lambda cfg, kinds, stack: {k: SpyEnv(e, state["env_seen"]) for k, e in real_envs(cfg, kinds, stack).items()})
    real_make = factory.make_proposer

    def make(cfg, lib, kinds):
        inner = state["proposer"] if "proposer" in state else real_make(cfg, lib, kinds)
        state["spy"] = SpyProposer(inner)
        return state["spy"]

    monkeypatch.setattr(factory, "make_proposer", make)
    return state


def test_poison_detects_a_read():
    """The guard itself can fail: any access outside scoring raises."""
    p = Poison([[[1]]])
    for touch in (lambda: list(p), lambda: p[0], lambda: len(p), lambda: bool(p), lambda: p == [], lambda: repr(p),
                  lambda: p.copy()):
        with pytest.raises(PoisonLeak):
            touch()
    Scoring.active = True
    try:
        assert list(p) == [[[1]]] and len(p) == 1
    finally:
        Scoring.active = False


def _check_clean(state, metrics, n_tasks):
    oracle = WatchedOracle.last
    assert oracle.outside == [], f"oracle read outside the scorer: {oracle.outside}"
    assert oracle.reads and all(phase == "score" for phase, _ in oracle.reads)
    assert all(out is None for _, _, out in state["spy"].seen), "a proposer saw test outputs"
    assert state["spy"].seen and state["env_seen"]
    assert all(out is None for _, _, out in state["env_seen"]), "an environment saw test outputs"
    rows = metrics["iterations"]
    assert all(r["test_pass_at_2"] is not None and r["tasks"] == n_tasks for r in rows)
    return rows


def test_adapt_scripted_never_reads_targets_before_scoring(tmp_path, store, guarded):
    guarded["proposer"] = Scripted()
    cfg = RunConfig(suite="arc1-train", task_ids=[FLIP, TRANSPOSE], iterations=2, budget_sample=1, budget_refine=1,
                    run_dir=str(tmp_path / "run"), adapt=True, workers=2, base_namespace="base")
    store.add([{"code": "def transform(grid):\n    return grid", "description": "identity", "kind": "arc", "source": "seed"}])
    metrics = run_loop(cfg, library=store)
    rows = _check_clean(guarded, metrics, 2)
    # the fix found by refinement was selected by train accuracy alone and scored right at the end
    assert [r["test_pass_at_2"] for r in rows] == [1.0, 1.0]
    # learning ran from pseudo-labels every iteration: solved + hindsight skills in the library
    by = store.stats()["by_source"]
    assert by.get("solved", 0) == 2 and by.get("hindsight", 0) >= 1
    # the oracle was read once per task per iteration for pass@2, never before the first scoring
    assert sum(1 for _ in WatchedOracle.last.reads) >= 2 * 2


def test_adapt_library_proposer_on_held_out_tasks(tmp_path, store, guarded):
    """The real default proposer (library search) over held-out development tasks, two iterations."""
    cfg = RunConfig(suite="arc1-train:transfer", limit=2, iterations=2, budget_sample=2, budget_refine=1,
                    run_dir=str(tmp_path / "run"), adapt=True, search=SearchConfig(time_limit_s=1.0), workers=2,
                    base_namespace="base")
    metrics = run_loop(cfg, library=store)
    rows = _check_clean(guarded, metrics, 2)
    assert rows[-1]["library_size"] > rows[0]["library_size"] - rows[0]["new_skills"]  # the library learned
    assert sum(r["attempts"] for r in rows) > 0
