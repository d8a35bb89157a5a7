"""Distillation rows and how they are chosen.

Sampling rows: (task prompt -> program) from solved and hindsight skills, chosen per task
greedy-diverse (each next program the one least similar to those already kept), as SOAR keeps
diverse solutions rather than near-duplicates.
Refinement rows: (task + parent program + its execution feedback -> correct program), balanced
over SOAR's parent-accuracy bins so the model learns to repair bad and almost-right programs alike.

Every prompt is `proposers.prompts.build_messages`: the exact text used at inference.

Skill.meta conventions read here (meta values are scalars, so structures are JSON strings):
  task_json            the Task (public part is used) the skill's program solves; for hindsight
                       skills, the relabelled task
  parent_attempt_json  (refinement rows) the parent Attempt with its execution feedback
  parent_code          (refinement rows, fallback) the parent program; with optional
                       parent_train_accuracy (float) and parent_error (str)
"""
from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Literal

from skills_store.schema import Skill, code_hash

from ..domain import Attempt, Task
from ..hindsight import TASK_JSON, task_json, text_task  # noqa: F401 - task_json: what writers put in meta
from ..proposers.prompts import DEFAULT_PROMPT_CONFIG, TERMINAL_FEEDBACK_KEY, PromptConfig, build_messages

RowKind = Literal["sample", "refine"]
BINS = ("0", "(0,0.34]", "(0.34,0.98)", ">=0.98")


@dataclass
class SFTExample:
    messages: list[dict]  # the prompt, exactly as at inference
    response: str  # the assistant turn to learn
    task_id: str
    kind: RowKind
    bin: str | None = None  # parent-accuracy bin (refinement rows)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"messages": self.messages, "response": self.response, "task_id": self.task_id,
                "kind": self.kind, "bin": self.bin, "meta": self.meta}

    @classmethod
    def from_json(cls, d: dict) -> "SFTExample":
        return cls(messages=d["messages"], response=d["response"], task_id=d["task_id"], kind=d["kind"],
                   bin=d.get("bin"), meta=d.get("meta") or {})


def accuracy_bin(acc: float) -> str:
    if acc <= 0:
        return BINS[0]
    if acc <= 0.34:
        return BINS[1]
    if acc < 0.98:
        return BINS[2]
    return BINS[3]


def response_text(task: Task, code: str, description: str = "") -> str:
    """The assistant turn: a short statement of the rule, then the program in the fence
    `extract_code` reads (so a trained model's output round-trips through extraction)."""
    lang = "bash" if task.kind == "terminal" else "python"
    lead = description.strip()
    return (f"{lead}\n\n" if lead else "") + f"```{lang}\n{code.strip()}\n```"


def sample_example(task: Task, code: str, description: str = "", skills: list[Skill] | None = None,
                   prompt: PromptConfig = DEFAULT_PROMPT_CONFIG, meta: dict | None = None) -> SFTExample:
    return SFTExample(
        messages=build_messages(task.public(), skills or [], "sample", config=prompt),
        response=response_text(task, code, description), task_id=task.id, kind="sample", meta=meta or {},
    )


def refine_example(task: Task, parent: Attempt, code: str, description: str = "", skills: list[Skill] | None = None,
                   prompt: PromptConfig = DEFAULT_PROMPT_CONFIG, meta: dict | None = None) -> SFTExample:
    acc = parent.train_accuracy
    if parent.train_correct:
        acc = sum(map(bool, parent.train_correct)) / len(parent.train_correct)
    return SFTExample(
        messages=build_messages(task.public(), skills or [], "refine", parent, config=prompt),
        response=response_text(task, code, description), task_id=task.id, kind="refine",
        bin=accuracy_bin(acc), meta=meta or {},
    )


# ---------------------------------------------------------------- selection

_TOKEN_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+|[^\sA-Za-z0-9_]")


def _tokens(code: str) -> set[str]:
    return set(_TOKEN_RE.findall(code))


def _distance(a: set[str], b: set[str]) -> float:
    union = a | b
    return 1.0 - (len(a & b) / len(union) if union else 1.0)


def greedy_diverse(codes: list[str], k: int) -> list[int]:
    """Indices of up to k programs: start from the shortest, then repeatedly add the program whose
    nearest kept neighbour (token-set Jaccard distance) is farthest. Exact duplicates never return."""
    if k <= 0 or not codes:
        return []
    toks = [_tokens(c) for c in codes]
    order = sorted(range(len(codes)), key=lambda i: (len(codes[i]), i))
    chosen = [order[0]]
    while len(chosen) < k:
        best, best_d = None, 0.0
        for i in order:
            if i in chosen:
                continue
            d = min(_distance(toks[i], toks[j]) for j in chosen)
            if d > best_d:
                best, best_d = i, d
        if best is None:  # everything left duplicates a kept program
            break
        chosen.append(best)
    return chosen


def balance_bins(rows: list[SFTExample], per_bin: int | None, seed: int = 0) -> list[SFTExample]:
    """Equal counts per non-empty parent-accuracy bin: `per_bin`, or the smallest bin's size."""
    by_bin: dict[str, list[SFTExample]] = defaultdict(list)
    for r in rows:
        by_bin[r.bin or BINS[0]].append(r)
    if not by_bin:
        return []
    n = per_bin if per_bin is not None else min(len(v) for v in by_bin.values())
    rng = random.Random(seed)
    out: list[SFTExample] = []
    for b in BINS:
        group = by_bin.get(b, [])
        out.extend(rng.sample(group, min(n, len(group))))
    return out


# ---------------------------------------------------------------- store -> rows


@dataclass(frozen=True)
class SelectionConfig:
    max_sample_per_task: int = 4
    refine_per_bin: int | None = None  # None: strict balance (smallest bin's size)
    sources: tuple[str, ...] = ("solved", "hindsight")
    seed: int = 0
    prompt: PromptConfig = DEFAULT_PROMPT_CONFIG


@dataclass(frozen=True)
class Candidate:
    """One (task, program) pair that may become rows: from a stored skill or a ledger attempt."""
    task: Task
    code: str
    description: str
    source: str
    parent: Attempt | None
    meta: dict[str, Any]


def _task_of(skill: Skill) -> Task | None:
    raw = skill.meta.get(TASK_JSON)
    if not raw:
        # an agent's skill (MCP/REST) describes its task in plain text; an ARC skill without its
        # grids has no prompt to train on
        return None if skill.kind == "arc" else text_task(skill.description, skill.kind)
    try:
        return Task.model_validate_json(str(raw))
    except ValueError as e:
        raise ValueError(f"skill {skill.id}: meta['task_json'] is not a valid Task: {e}") from e


def _parent_of(skill: Skill, task: Task) -> Attempt | None:
    raw = skill.meta.get("parent_attempt_json")
    if raw:
        try:
            return Attempt.model_validate_json(str(raw))
        except ValueError as e:
            raise ValueError(f"skill {skill.id}: meta['parent_attempt_json'] is not a valid Attempt: {e}") from e
    code = skill.meta.get("parent_code")
    if not code:
        return None
    return Attempt(id=f"{skill.id}-parent", task_id=task.id, code=str(code), mode="sample",
                   train_accuracy=float(skill.meta.get("parent_train_accuracy", 0.0)),
                   error=str(skill.meta["parent_error"]) if skill.meta.get("parent_error") else None)


def candidates_from_skills(skills: Iterable[Skill], sources: tuple[str, ...]) -> list[Candidate]:
    out = []
    for s in skills:
        if s.source not in sources or s.superseded_by:
            continue
        task = _task_of(s)
        if task is None:
            continue
        meta = {"skill_id": s.id, "source": s.source}
        out.append(Candidate(task, s.code, s.description, s.source, None, meta))
        parent = _parent_of(s, task)
        if parent is not None:  # a repair is also a refinement row
            out.append(Candidate(task, s.code, s.description, s.source, parent, meta))
    return out


def _agent_parent(task: Task, rec: dict) -> Attempt:
    """An agent's failed attempt as the parent of a refinement row: its feedback is what failed."""
    total, passed = rec.get("tests_total"), rec.get("tests_passed")
    acc = passed / total if total and passed is not None else 0.0
    fb = rec.get("feedback") or ""
    meta = {TERMINAL_FEEDBACK_KEY: fb} if task.kind == "terminal" else {}
    return Attempt(id=str(rec.get("id", "parent")), task_id=task.id, code=rec["code"], train_accuracy=acc,
                   error=None if task.kind == "terminal" else (fb or None), meta=meta)


def candidates_from_attempts(records: Iterable[dict]) -> list[Candidate]:
    """Rows the ledger holds beyond the skills, records oldest first:
      - the loop's attempts that became solved skills keep `task_json` and `code` (the skill may
        have been a duplicate of an older one, e.g. a seed primitive, and so was not stored again);
      - agents' attempts (MCP/REST: task text, code, passed, feedback): a pass is a sampling row
        (its observations are correct examples), and a pass after a failure at the same task text
        is a refinement row whose parent is that failure with its feedback."""
    out: list[Candidate] = []
    last_failure: dict[str, dict] = {}
    for rec in records:
        code = rec.get("code")
        if not code:
            continue
        if rec.get(TASK_JSON):
            if rec.get("passed"):
                task = Task.model_validate_json(rec[TASK_JSON])
                out.append(Candidate(task, code, "", "solved", None, {"attempt_id": rec.get("id"), "source": "ledger"}))
            continue
        if not isinstance(rec.get("task"), str) or not rec["task"].strip():
            continue
        key = f"{rec.get('kind', 'code')}:{rec['task']}"
        if not rec.get("passed"):
            last_failure[key] = rec
            continue
        obs = [(o.get("input"), o.get("output")) for o in rec.get("observations") or [] if isinstance(o, dict)]
        task = text_task(rec["task"], rec.get("kind", "code"), obs)
        meta = {"attempt_id": rec.get("id"), "source": "agent"}
        out.append(Candidate(task, code, "", "solved", None, meta))
        if key in last_failure and rec.get("mode") == "refine":
            out.append(Candidate(task, code, "", "solved", _agent_parent(task, last_failure.pop(key)), meta))
    return out


def examples_from_candidates(cands: Iterable[Candidate], cfg: SelectionConfig = SelectionConfig()) -> list[SFTExample]:
    """Sampling rows per task, greedy-diverse; refinement rows balanced over parent-accuracy bins.
    The same (task, program) reached twice (a skill and its ledger record) counts once."""
    per_task: dict[str, list[Candidate]] = defaultdict(list)
    refine_rows: list[SFTExample] = []
    seen: set[tuple] = set()
    for c in cands:
        key = (c.task.id, code_hash(c.code), c.parent.code if c.parent else None)
        if key in seen:
            continue
        seen.add(key)
        if c.parent is not None:
            refine_rows.append(refine_example(c.task, c.parent, c.code, c.description, prompt=cfg.prompt, meta=c.meta))
        else:
            per_task[c.task.id].append(c)
    rows: list[SFTExample] = []
    for tid in sorted(per_task):
        group = per_task[tid]
        for i in greedy_diverse([c.code for c in group], cfg.max_sample_per_task):
            c = group[i]
            rows.append(sample_example(c.task, c.code, c.description, prompt=cfg.prompt, meta=c.meta))
    rows.extend(balance_bins(refine_rows, cfg.refine_per_bin, cfg.seed))
    return rows


def examples_from_skills(skills: Iterable[Skill], cfg: SelectionConfig = SelectionConfig(),
                         attempts: Iterable[dict] = ()) -> list[SFTExample]:
    """Rows from stored skills (and, optionally, the ledger's attempt records, oldest first).
    Skills without a task (seed primitives, ARC skills without `task_json`) are skipped: without
    the task there is no prompt to train on."""
    return examples_from_candidates(candidates_from_skills(skills, cfg.sources) + candidates_from_attempts(attempts), cfg)
