"""Deterministic task summaries: the text that gets embedded for retrieval.

No LLM on the write path: the same I/O always yields the same description, so hindsight skills
are reproducible and dedup is stable. The summary names shapes, colours, size ratios, object
counts and a diff summary — the features a person would use to say "this looks like that task".
"""
from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

COLOURS = ["black", "blue", "red", "green", "yellow", "grey", "magenta", "orange", "cyan", "brown"]


def _arr(g: Any) -> np.ndarray | None:
    try:
        a = np.asarray(g, dtype=np.int64)
    except (ValueError, TypeError):
        return None
    return a if a.ndim == 2 and a.size else None


def count_objects(a: np.ndarray) -> int:
    """4-connected components of non-background (most common colour) cells, any colour."""
    bg = Counter(a.ravel().tolist()).most_common(1)[0][0]
    seen = np.zeros(a.shape, dtype=bool)
    h, w = a.shape
    n = 0
    for r in range(h):
        for c in range(w):
            if a[r, c] == bg or seen[r, c]:
                continue
            n += 1
            stack = [(r, c)]
            seen[r, c] = True
            while stack:
                y, x = stack.pop()
                for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                    yy, xx = y + dy, x + dx
                    if 0 <= yy < h and 0 <= xx < w and not seen[yy, xx] and a[yy, xx] == a[y, x]:
                        seen[yy, xx] = True
                        stack.append((yy, xx))
    return n


def _colours(a: np.ndarray) -> str:
    return ",".join(COLOURS[v] if 0 <= v < 10 else str(v) for v in sorted(set(a.ravel().tolist())))


def _ratio(x: int, y: int) -> str:
    if x == y:
        return "same"
    return f"x{y / x:.2g}" if x else "?"


def describe_pair(i: np.ndarray, o: np.ndarray) -> list[str]:
    facts = []
    if i.shape == o.shape:
        changed = int((i != o).sum())
        facts.append("same size" if changed else "identical")
        if changed:
            frac = changed / i.size
            facts.append(f"{'few' if frac < 0.1 else 'many' if frac > 0.5 else 'some'} cells change")
            new = set(o[i != o].tolist()) - set(i.ravel().tolist())
            if new:
                facts.append("introduces colours " + ",".join(COLOURS[v] for v in sorted(new) if 0 <= v < 10))
    else:
        facts.append(f"height {_ratio(i.shape[0], o.shape[0])} width {_ratio(i.shape[1], o.shape[1])}")
        if o.size < i.size:
            facts.append("output smaller (crop/extract/count)")
        else:
            facts.append("output larger (scale/tile/extend)")
    lost = set(i.ravel().tolist()) - set(o.ravel().tolist())
    if lost:
        facts.append("removes colours " + ",".join(COLOURS[v] for v in sorted(lost) if 0 <= v < 10))
    oi, oo = count_objects(i), count_objects(o)
    facts.append(f"objects {oi}->{oo}")
    return facts


def describe_arc(train_pairs: list[tuple[Any, Any]], test_inputs: list[Any] = ()) -> str:
    """One paragraph summary of an ARC-style input->output grid task."""
    lines = []
    facts_all: list[list[str]] = []
    for k, (gi, go) in enumerate(train_pairs):
        i, o = _arr(gi), _arr(go)
        if i is None or o is None:
            continue
        facts = describe_pair(i, o)
        facts_all.append(facts)
        lines.append(f"pair {k + 1}: {i.shape[0]}x{i.shape[1]} -> {o.shape[0]}x{o.shape[1]}; "
                     f"in colours {_colours(i)}; out colours {_colours(o)}; " + "; ".join(facts))
    common = set(facts_all[0]).intersection(*map(set, facts_all[1:])) if facts_all else set()
    head = "Grid transformation. " + ("Always: " + "; ".join(sorted(common)) + ". " if common else "")
    tests = []
    for t in test_inputs:
        a = _arr(t)
        if a is not None:
            tests.append(f"{a.shape[0]}x{a.shape[1]}")
    tail = f" Test inputs: {', '.join(tests)}." if tests else ""
    return head + " ".join(lines) + tail


def describe_behaviour(observations: list[tuple[Any, Any]], instruction: str = "") -> str:
    """Summary for a generic code task relabelled by hindsight: 'produce this behaviour'."""
    shown = "; ".join(f"{_short(i)} -> {_short(o)}" for i, o in observations[:6])
    base = f"Produce the observed behaviour: {shown}."
    return f"{base} (Originally attempted: {instruction[:300]})" if instruction else base


def _short(x: Any, n: int = 80) -> str:
    s = repr(x)
    return s if len(s) <= n else s[: n - 3] + "..."
