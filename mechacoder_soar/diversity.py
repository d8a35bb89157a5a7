"""Diversity of the programs a run produces and of the library it grows, per iteration, with a
collapse alert.

Evolutionary search stalls when its population collapses onto a few behaviours (SOAR's greedy-
diverse selection exists to prevent this). Two views:
  programs: per task, distinct output signatures (train + test outputs) over valid attempts,
            averaged over tasks ("distinct_ratio"); distinct codes; error rate.
  library:  the skills present after iteration K (skills this run added at iterations <= K plus
            everything that was there before), with distinct output signatures and the embedding
            dispersion of their descriptions (mean cosine distance to the centroid: 0 = all the
            same text, ~1 = unrelated).
An iteration is flagged collapsed when the program distinct-ratio falls below `floor`, or below
`1 - drop` times the first iteration's value; each flag is logged as a warning.
Computed from the run directory and the store after the loop (`soar report`), never inside it.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .domain import Attempt
from .hindsight import output_signature

log = logging.getLogger(__name__)


@dataclass
class DiversityConfig:
    floor: float = 0.2   # absolute: distinct behaviours per valid attempt, per task
    drop: float = 0.5    # relative to the first iteration

    def __post_init__(self) -> None:
        if not 0.0 <= self.floor <= 1.0 or not 0.0 < self.drop <= 1.0:
            raise ValueError(f"DiversityConfig needs 0 <= floor <= 1 and 0 < drop <= 1, got {self}")


def attempt_signature(a: Attempt) -> str:
    return output_signature(list(a.train_outputs) + list(a.test_outputs))


def program_diversity(attempts: Sequence[Attempt]) -> dict[str, Any]:
    by_task: dict[str, list[Attempt]] = defaultdict(list)
    for a in attempts:
        by_task[a.task_id].append(a)
    ratios, sigs_total = [], 0
    for atts in by_task.values():
        valid = [a for a in atts if not a.error]
        if not valid:
            continue
        n_sig = len({attempt_signature(a) for a in valid})
        sigs_total += n_sig
        ratios.append(n_sig / len(valid))
    n = len(attempts)
    return {
        "attempts": n,
        "distinct_codes": len({a.code for a in attempts}),
        "distinct_signatures": sigs_total,
        "distinct_ratio": float(np.mean(ratios)) if ratios else 0.0,
        "error_rate": (sum(1 for a in attempts if a.error) / n) if n else 0.0,
    }


def embedding_dispersion(vectors: np.ndarray) -> float:
    """Mean cosine distance of the rows to their (normalised) centroid; 0 for fewer than 2 rows."""
    v = np.asarray(vectors, dtype=np.float64)
    if v.ndim != 2 or len(v) < 2:
        return 0.0
    v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    c = v.mean(axis=0)
    c = c / max(float(np.linalg.norm(c)), 1e-12)
    return float(np.mean(1.0 - v @ c))


def library_diversity(skills: Sequence[Any], vectors: np.ndarray | None = None) -> dict[str, Any]:
    by_source: dict[str, int] = defaultdict(int)
    for s in skills:
        by_source[s.source] += 1
    sigs = {s.output_signature for s in skills if s.output_signature}
    return {
        "skills": len(skills), "by_source": dict(by_source),
        "distinct_output_signatures": len(sigs),
        "distinct_codes": len({s.content_hash for s in skills}),
        "embedding_dispersion": None if vectors is None else embedding_dispersion(vectors),
    }


def skill_iteration(skills: Sequence[Any], attempt_iteration: dict[str, int]) -> list[int | None]:
    """Iteration at which this run added each skill; None for skills that predate the run."""
    return [attempt_iteration.get(s.origin_attempt_id) if s.origin_attempt_id else None for s in skills]


def diversity_by_iteration(
    attempts: Sequence[Attempt],
    skills: Sequence[Any] | None = None,
    embed: Callable[[list[str]], np.ndarray] | None = None,
    config: DiversityConfig | None = None,
) -> dict[str, Any]:
    """{"iterations": [{iteration, programs, library}], "collapsed": bool, "alerts": [str]}."""
    cfg = config or DiversityConfig()
    its = sorted({a.iteration for a in attempts})
    vecs = None
    when: list[int | None] = []
    if skills is not None:
        skills = list(skills)
        when = skill_iteration(skills, {a.id: a.iteration for a in attempts})
        if embed is not None and skills:
            vecs = np.asarray(embed([s.embed_text() for s in skills]))
    rows, alerts = [], []
    first = None
    for k in its:
        prog = program_diversity([a for a in attempts if a.iteration == k])
        row: dict[str, Any] = {"iteration": k, "programs": prog}
        if skills is not None:
            idx = [i for i, w in enumerate(when) if w is None or w <= k]
            row["library"] = library_diversity([skills[i] for i in idx], None if vecs is None else vecs[idx])
        r = prog["distinct_ratio"]
        first = r if first is None else first
        why = []
        if prog["attempts"] and r < cfg.floor:
            why.append(f"distinct-output ratio {r:.2f} < floor {cfg.floor:.2f}")
        if first and r < (1.0 - cfg.drop) * first:
            why.append(f"distinct-output ratio {r:.2f} fell more than {cfg.drop:.0%} from {first:.2f}")
        row["collapsed"] = bool(why)
        if why:
            msg = f"diversity collapse at iteration {k}: " + "; ".join(why)
            log.warning(msg)
            alerts.append(msg)
        rows.append(row)
    return {"iterations": rows, "collapsed": any(r["collapsed"] for r in rows), "alerts": alerts,
            "config": {"floor": cfg.floor, "drop": cfg.drop}}
