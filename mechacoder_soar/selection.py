"""Which attempts become training data: greedy-diverse selection and refinement binning (SOAR §3.3).

Per task, keep the `n_best` most accurate attempts (shorter code first on ties) plus `n_diverse`
of the rest with distinct outputs, lowest accuracy first. SOAR's released dedup returns an empty
list, so its diverse half is never filled; ours is (tests/mechacoder_soar/test_selection.py).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")

BINS = ("zero", "low", "mid", "high")


def accuracy_bin(acc: float) -> str:
    """Refinement-pair bins by parent accuracy: 0, (0, .34], (.34, .98), >= .98."""
    if acc <= 0.0:
        return "zero"
    if acc <= 0.34:
        return "low"
    if acc < 0.98:
        return "mid"
    return "high"


def greedy_diverse(
    items: Sequence[T],
    accuracy: Callable[[T], float],
    code_len: Callable[[T], int],
    signature: Callable[[T], str],
    n_best: int = 25,
    n_diverse: int = 25,
) -> list[T]:
    order = sorted(range(len(items)), key=lambda i: (-accuracy(items[i]), code_len(items[i]), i))
    best = order[:n_best]
    chosen_sigs = {signature(items[i]) for i in best}
    diverse: list[int] = []
    for i in sorted(order[n_best:], key=lambda i: (accuracy(items[i]), code_len(items[i]), i)):
        if len(diverse) >= n_diverse:
            break
        sig = signature(items[i])
        if sig in chosen_sigs:
            continue
        chosen_sigs.add(sig)
        diverse.append(i)
    return [items[i] for i in best + diverse]


def balance_bins(items: Sequence[T], bin_of: Callable[[T], str], per_bin: int) -> list[T]:
    """At most `per_bin` items from each accuracy bin, in input order."""
    counts: dict[str, int] = {}
    out = []
    for it in items:
        b = bin_of(it)
        if counts.get(b, 0) < per_bin:
            counts[b] = counts.get(b, 0) + 1
            out.append(it)
    return out
