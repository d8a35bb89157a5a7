"""Grounded stepping-stone curriculum: a teacher proposes easier tasks, and a batch of them enters
the library only if it measurably helps the student.

For the tasks a run left at fail@K (no train-correct program in any iteration):
  1. split them into a held-out slice (where the student is measured) and source tasks (where
     stepping stones are generated), deterministically by `seed`;
  2. per source task and generator, build a batch of stepping-stone tasks, each with a program
     that solves it (so "training" the student = adding those programs to its library as skills):
       hindsight  near-miss programs of the run, relabelled (the task they do solve);
       prefix     proper prefixes of near-miss step lists: partial transformations;
       subset     the task restricted to all-but-one train pair, searched afresh: a program that is
                  right on part of the examples (a decomposition by example);
       teacher    programs a `Teacher` writes (an LLM proposer, when one is configured), relabelled;
  3. for each batch: copy the library into a scratch store, add the batch, re-run the student (the
     library-steered composition search of `LibrarySearchProposer`) on the held-out slice, and
     measure the train-solve rate; grounded reward = after - before, averaged over `repeats`;
  4. admit the batch (into the scratch baseline and, unless dry-run, the real library) only if the
     mean reward exceeds `min_gain`; later batches are measured against the new baseline.
The ungrounded baseline admits every batch; both final rates are reported. Only public task data
(train pairs and test inputs) is used anywhere: the reward is grounded in train-pair solves.
"""
from __future__ import annotations

import json
import logging
import random
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

import numpy as np
from skills_store.schema import SkillIn

from .config import GENERATORS, CurriculumConfig, CurriculumError
from .domain import Attempt, Task
from .hindsight import relabel_arc
from .proposers.library import LibrarySearchProposer

log = logging.getLogger(__name__)

@dataclass
class Stone:
    kind: str
    source_task: str
    task: Task          # the stepping-stone task (inputs of the source, outputs of the program)
    skill: SkillIn      # the program that solves it, as a hindsight skill


@dataclass
class Batch:
    name: str
    kind: str
    source_task: str
    stones: list[Stone]


class Teacher(Protocol):
    name: str

    def propose(self, task: Task, near_misses: list[Attempt], n: int) -> list[Stone]:
        """Up to n stepping-stone tasks (with a program solving each) for a public hard task."""
        ...


# ---- stepping-stone generators -------------------------------------------------------------

def _steps_of(meta: dict) -> list | None:
    raw = meta.get("dsl")
    if not raw:
        return None
    try:
        return [(s[0], dict(s[1])) for s in json.loads(raw)]
    except (ValueError, TypeError, IndexError, KeyError):
        return None


def _stone_from_program(task: Task, kind: str, steps: list, attempt_id: str) -> Stone | None:
    """Run a step list in-process on every input, relabel by hindsight; None if degenerate."""
    from .library_search.primitives import render_program, run_steps

    ins = [e.input for e in task.train] + list(task.test_inputs)
    outs = [run_steps(steps, g) for g in ins]
    if any(o is None for o in outs):
        return None
    n = len(task.train)
    code = render_program(steps)
    att = Attempt(id=attempt_id, task_id=task.id, code=code, train_outputs=outs[:n], test_outputs=outs[n:],
                  train_correct=[o == e.output for o, e in zip(outs[:n], task.train)],
                  meta={"dsl": json.dumps(steps)})
    att.train_accuracy = sum(att.train_correct) / max(1, n)
    return _stone_from_attempt(task, kind, att)


def _stone_from_attempt(task: Task, kind: str, a: Attempt) -> Stone | None:
    r = relabel_arc(task, a)
    if r is None:
        return None
    meta = {"stepping_stone": kind, "curriculum": True}
    if a.meta.get("dsl"):
        meta["dsl"] = a.meta["dsl"]  # so the student's search can start from it (depth-1 candidate)
    r.skill.meta.update(meta)
    r.skill.tags = list(r.skill.tags) + ["stepping-stone", kind]
    return Stone(kind=kind, source_task=task.id, task=r.task, skill=r.skill)


def _near_misses(attempts: list[Attempt]) -> list[Attempt]:
    ok = [a for a in attempts if not a.error and not a.fully_correct]
    return sorted(ok, key=lambda a: (-a.train_accuracy, -(a.pixel_accuracy or 0.0), len(a.code), a.id))


def _dedup(stones: list[Stone], n: int) -> list[Stone]:
    seen, out = set(), []
    for s in stones:
        if s.skill.output_signature in seen:
            continue
        seen.add(s.skill.output_signature)
        out.append(s)
        if len(out) >= n:
            break
    return out


def hindsight_stones(task: Task, attempts: list[Attempt], n: int) -> list[Stone]:
    return _dedup([s for a in _near_misses(attempts) if (s := _stone_from_attempt(task, "hindsight", a))], n)


def prefix_stones(task: Task, attempts: list[Attempt], n: int) -> list[Stone]:
    out = []
    for a in _near_misses(attempts):
        steps = _steps_of(a.meta)
        for j in range(len(steps or []) - 1, 0, -1):
            s = _stone_from_program(task, "prefix", steps[:j], f"{a.id}:prefix{j}")
            if s:
                out.append(s)
    return _dedup(out, n)


def subset_stones(task: Task, cfg: CurriculumConfig, n: int) -> list[Stone]:
    """Leave one train pair out, search the rest: programs right on part of the examples."""
    from .library_search.search import search

    if len(task.train) < 2:
        return []
    out = []
    student = cfg.student.search
    per = replace(student, time_limit_s=max(0.1, student.time_limit_s / len(task.train)))
    for drop in range(len(task.train)):
        pairs = [(e.input, e.output) for i, e in enumerate(task.train) if i != drop]
        res = search(pairs, task.test_inputs, per)
        for c in res.candidates:
            if c.fully_correct:
                s = _stone_from_program(task, "subset", list(c.steps), f"{task.id}:subset{drop}:{len(out)}")
                if s:
                    out.append(s)
    return _dedup(out, n)


class ProposerTeacher:
    """An LLM (any `Proposer`) as the teacher: it writes programs for the hard task; each one that
    runs and is not degenerate defines, by hindsight, a stepping-stone task it solves."""

    def __init__(self, proposer, environment):
        self.proposer, self.environment = proposer, environment
        self.name = f"teacher:{proposer.name}"

    def propose(self, task: Task, near_misses: list[Attempt], n: int) -> list[Stone]:
        from .domain import attempt_id

        props = self.proposer.sample(task.public(), [], n)
        evals = self.environment.evaluate(task.public(), [p.code for p in props])
        out = []
        for p, e in zip(props, evals):
            a = Attempt(id=attempt_id(task.id, p.code, 0, "sample", None, salt="teacher"), task_id=task.id, code=p.code,
                        train_outputs=e.train_outputs, train_correct=e.train_correct, train_accuracy=e.train_accuracy,
                        test_outputs=e.test_outputs, error=e.error, meta=dict(p.meta))
            s = _stone_from_attempt(task, "teacher", a)
            if s:
                out.append(s)
        return _dedup(out, n)


def make_batches(sources: Sequence[Task], attempts: dict[str, list[Attempt]], cfg: CurriculumConfig,
                 teacher: Teacher | None = None) -> list[Batch]:
    batches = []
    for t in sources:
        atts = attempts.get(t.id, [])
        for kind in cfg.generators:
            if kind == "hindsight":
                stones = hindsight_stones(t, atts, cfg.stones_per_batch)
            elif kind == "prefix":
                stones = prefix_stones(t, atts, cfg.stones_per_batch)
            elif kind == "subset":
                stones = subset_stones(t, cfg, cfg.stones_per_batch)
            else:
                stones = teacher.propose(t, _near_misses(atts), cfg.stones_per_batch) if teacher else []
            if stones:
                batches.append(Batch(name=f"{kind}:{t.id}", kind=kind, source_task=t.id, stones=stones))
    return batches


# ---- the student and the scratch library ---------------------------------------------------

class NamespaceView:
    """One namespace of a store as a `library.LibraryReader` (what `LibrarySearchProposer` reads)."""

    def __init__(self, store, namespace: str):
        self.store, self.namespace = store, namespace

    def all(self):
        return self.store.all(namespace=self.namespace)

    def count(self) -> int:
        return self.store.count(namespace=self.namespace)

    def retrieve_for_sampling(self, query: str, k: int = 5, **kw):
        return self.store.retrieve_for_sampling(query, k, namespace=self.namespace, **kw)

    def retrieve_for_refinement(self, query: str, attempt_text: str, k: int = 5, **kw):
        return self.store.retrieve_for_refinement(query, attempt_text, k, namespace=self.namespace, **kw)

    def stats(self):
        return self.store.stats(namespace=self.namespace)


@dataclass
class Measurement:
    rate: float                       # mean train-solve rate over repeats
    rates: list[float]
    accuracy: float                   # mean best pixel score on train pairs (partial credit), for information
    solved: dict[str, int] = field(default_factory=dict)  # task id -> runs in which it was solved


def measure_student(library, tasks: Sequence[Task], cfg: CurriculumConfig) -> Measurement:
    """Run the student (library-steered composition search, as `LibrarySearchProposer.sample`
    does it) on each task's train pairs `repeats` times; solved = a train-correct program found."""
    from .library_search.search import search

    prop = LibrarySearchProposer(library, cfg.student)
    scfg = cfg.student.search
    steer = {t.id: prop.steer(t, []) for t in tasks}  # retrieval is deterministic: once per task
    rates, accs, solved = [], [], {t.id: 0 for t in tasks}
    for _ in range(cfg.repeats):
        hit, acc = 0, 0.0
        for t in tasks:
            st = steer[t.id]
            res = search([(e.input, e.output) for e in t.train], t.test_inputs, scfg, order=st.order,
                         extra_programs=st.extras, prior=st.prior, step_prior=st.step_prior)
            hit += int(res.solved)
            solved[t.id] += int(res.solved)
            acc += res.candidates[0].pixel_score if res.candidates else 0.0
        rates.append(hit / len(tasks))
        accs.append(acc / len(tasks))
    return Measurement(rate=float(np.mean(rates)), rates=rates, accuracy=float(np.mean(accs)), solved=solved)


class Scratch:
    """A temporary store holding copies of the library: namespace `base` (the library plus the
    batches admitted so far) and one namespace per trial (base + a candidate batch)."""

    def __init__(self, library, root: Path):
        from skills_store import StoreConfig
        from skills_store.embedding import CachingEmbedder
        from skills_store.store import SkillStore

        self.root = root
        # scratch copies re-embed every skill they import: the same texts every time
        self.store = SkillStore(StoreConfig(location=str(root / "store")),
                                embedder=CachingEmbedder(library.embedder, max_texts=None))
        self._n = 0
        self.bundle = root / "base.jsonl"
        library.export(self.bundle)
        self.base = self._copy("base")

    def _copy(self, ns: str, extra: Sequence[SkillIn] = ()) -> NamespaceView:
        self.store.import_(self.bundle, namespace=ns)
        if extra:
            self.store.add(list(extra), namespace=ns)
        return NamespaceView(self.store, ns)

    def trial(self, batches: Sequence[Batch]) -> NamespaceView:
        self._n += 1
        return self._copy(f"trial{self._n}", [s.skill for b in batches for s in b.stones])

    def admit(self, batch: Batch) -> None:
        self.store.add([s.skill for s in batch.stones], namespace="base")
        self.store.export(self.bundle, namespace="base")

    def close(self) -> None:
        self.store.close()


# ---- the whole curriculum ------------------------------------------------------------------

def hard_task_ids(per_iteration: list[dict], attempts: list[Attempt]) -> list[str]:
    """Tasks with no train-correct program in any iteration (fail@K after search)."""
    seen: dict[str, bool] = {}
    for r in per_iteration:
        for t in r.get("per_task", []):
            seen[t["task_id"]] = seen.get(t["task_id"], False) or bool(t["train_solved"])
    for a in attempts:
        seen[a.task_id] = seen.get(a.task_id, False) or a.fully_correct
    return sorted(t for t, ok in seen.items() if not ok)


def split_hard(hard: Sequence[str], holdout: int, seed: int) -> tuple[list[str], list[str]]:
    if len(hard) < 2:
        raise CurriculumError(f"the curriculum needs at least 2 tasks at fail@K (one to hold out, one to learn from); this run has {len(hard)}")
    ids = sorted(hard)
    random.Random(seed).shuffle(ids)
    n = min(holdout, len(ids) - 1)
    return sorted(ids[:n]), sorted(ids[n:])


def _hold_out(hard: list[str], cfg: CurriculumConfig) -> tuple[list[str], list[str]]:
    """(held-out tasks, source tasks): `cfg.holdout_ids` when given (checked), else a seeded split."""
    if not cfg.holdout_ids:
        return split_hard(hard, cfg.holdout, cfg.seed)
    unknown = [t for t in cfg.holdout_ids if t not in hard]
    if unknown:
        raise CurriculumError(f"held-out task(s) {', '.join(unknown)} are not at fail@K in this run; hard tasks: {', '.join(hard)}")
    sources = [t for t in hard if t not in cfg.holdout_ids]
    if not sources:
        raise CurriculumError("every hard task is held out: nothing left to generate stepping stones from")
    return sorted(cfg.holdout_ids), sources


def _admit(library, batches: list[Batch], held_tasks: list[Task], cfg: CurriculumConfig,
           emit: Callable[[str, dict], None]) -> tuple[list[dict], list[Batch], tuple[Measurement, Measurement, Measurement]]:
    """Measure each batch on a scratch copy of the library, admitting those whose mean gain over
    the current baseline exceeds `min_gain`. Returns the per-batch rows, the admitted batches and
    the (baseline, grounded, ungrounded = every batch) measurements."""
    rows: list[dict] = []
    admitted: list[Batch] = []
    with tempfile.TemporaryDirectory(prefix="soar-curriculum-") as tmp:
        scratch = Scratch(library, Path(tmp))
        try:
            baseline = before = measure_student(scratch.base, held_tasks, cfg)
            for b in batches:
                after = measure_student(scratch.trial([b]), held_tasks, cfg)
                gains = [a - c for a, c in zip(after.rates, before.rates)]
                gain = float(np.mean(gains))
                ok = gain > cfg.min_gain
                row = {"name": b.name, "kind": b.kind, "source_task": b.source_task, "n_stones": len(b.stones),
                       "stone_tasks": [s.task.id for s in b.stones], "before": before.rate, "after": after.rate,
                       "gain": gain, "gains": gains, "accuracy_before": before.accuracy, "accuracy_after": after.accuracy,
                       "admitted": ok}
                if ok:
                    scratch.admit(b)
                    admitted.append(b)
                    before = after
                rows.append(row)
                emit("batch", row)
            ungrounded = measure_student(scratch.trial(batches), held_tasks, cfg) if batches else baseline
        finally:
            scratch.close()
    return rows, admitted, (baseline, before, ungrounded)


def run_curriculum(tasks: dict[str, Task], per_iteration: list[dict], attempts: list[Attempt], library,
                   cfg: CurriculumConfig, teacher: Teacher | None = None,
                   on_event: Callable[[str, dict], None] | None = None,
                   batches: list[Batch] | None = None) -> dict[str, Any]:
    """`tasks`: public tasks by id (at least the hard ones). `batches`: candidate batches made by
    the caller (e.g. from fewer source tasks), instead of one per source task and generator.
    Returns the curriculum.json dict."""
    emit = on_event or (lambda kind, data: None)
    t0 = time.time()
    hard = hard_task_ids(per_iteration, attempts)
    missing = [t for t in hard if t not in tasks]
    if missing:
        raise CurriculumError(f"no task data for hard task(s) {', '.join(missing)}")
    held, sources = _hold_out(hard, cfg)
    held_tasks = [tasks[t].public() for t in held]
    by_task: dict[str, list[Attempt]] = {}
    for a in attempts:
        by_task.setdefault(a.task_id, []).append(a)
    if batches is None:
        batches = make_batches([tasks[t].public() for t in sources], by_task, cfg, teacher)
    else:
        sources = sorted({b.source_task for b in batches})
        if set(sources) & set(held):
            raise CurriculumError(f"stepping stones made from held-out task(s) {', '.join(sorted(set(sources) & set(held)))}")
    emit("start", {"hard": len(hard), "holdout": held, "sources": sources, "batches": len(batches)})
    rows, admitted, (baseline, grounded, ungrounded) = _admit(library, batches, held_tasks, cfg, emit)
    added: list[str] = []
    if admitted and not cfg.dry_run:
        res = library.add([s.skill for b in admitted for s in b.stones], iteration_event={"curriculum": True})
        added = res.added
    summary = {
        "hard_tasks": len(hard), "batches": len(rows), "admitted": sum(r["admitted"] for r in rows),
        "rejected": sum(not r["admitted"] for r in rows),
        "baseline_rate": baseline.rate, "grounded_rate": grounded.rate, "ungrounded_rate": ungrounded.rate,
        "grounded_gain": grounded.rate - baseline.rate, "ungrounded_gain": ungrounded.rate - baseline.rate,
        "baseline_accuracy": baseline.accuracy, "grounded_accuracy": grounded.accuracy, "ungrounded_accuracy": ungrounded.accuracy,
        "stones_admitted": sum(len(b.stones) for b in admitted), "stones_total": sum(r["n_stones"] for r in rows),
        "added_to_library": len(added), "dry_run": cfg.dry_run, "wall_s": round(time.time() - t0, 2),
    }
    log.info("curriculum: %s", summary)
    return {"config": asdict(cfg), "hard_tasks": hard, "holdout": held, "sources": sources,
            "teacher": getattr(teacher, "name", None), "batches": rows, "summary": summary, "added_skill_ids": added}


def run_curriculum_for_run(run_dir: str | Path, library, cfg: CurriculumConfig, teacher: Teacher | None = None,
                           on_event: Callable[[str, dict], None] | None = None) -> dict[str, Any]:
    """Read the run directory, load its hard tasks from the run's suite, run the curriculum and
    write RUN_DIR/curriculum.json."""
    from .report.rundata import load_run
    from .suites import load_tasks

    run = load_run(run_dir)
    hard = hard_task_ids(run.iterations, run.attempts)
    suite = run.config.get("suite")
    if not suite:
        raise CurriculumError(f"{run.path}/config.json names no suite")
    tasks = {t.id: t.public() for t in load_tasks(suite, None, hard)} if hard else {}
    out = run_curriculum(tasks, run.iterations, run.attempts, library, cfg, teacher, on_event)
    out["run_dir"] = str(run.path)
    (run.path / "curriculum.json").write_text(json.dumps(out, indent=2))
    return out
