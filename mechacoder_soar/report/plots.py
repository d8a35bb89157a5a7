"""The report's figures: each function draws one matplotlib figure and returns PNG bytes.

Agg backend only (headless, no display); figures are closed after rendering so a long report
does not accumulate memory.
"""
from __future__ import annotations

import io
from typing import Any, Sequence

SOURCES = ("seed", "solved", "hindsight")
COLOURS = {"seed": "#8c8c8c", "solved": "#2ca02c", "hindsight": "#1f77b4"}


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=90)
    _plt().close(fig)
    return buf.getvalue()


def _none_to_nan(xs: Sequence[Any]) -> list[float]:
    return [float("nan") if x is None else float(x) for x in xs]


def solve_rate(iterations: list[dict], pooled: list[dict] | None = None) -> bytes:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    its = [r["iteration"] for r in iterations]
    ax.plot(its, [r["train_solved"] / max(1, r["tasks"]) for r in iterations], "o-", label="train solved")
    ax.plot(its, _none_to_nan([r.get("test_pass_at_2") for r in iterations]), "s-", label="test pass@2 (vote)")
    if pooled:
        pits = [r["iteration"] for r in pooled]
        ax.plot(pits, _none_to_nan([r["pooled"]["vote_pass_at_2"] for r in pooled]), "^--", label="pass@2 pooled <= K")
        ax.plot(pits, _none_to_nan([r["pooled"]["oracle"] for r in pooled]), "v:", label="oracle pooled <= K")
    ax.set_xlabel("iteration")
    ax.set_ylabel("fraction of tasks")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xticks(its)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    ax.set_title("Solve rate and pass@2 per iteration")
    return _png(fig)


def library_growth(iterations: list[dict]) -> bytes:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    its = [r["iteration"] for r in iterations]
    bottom = [0.0] * len(its)
    extra = sorted({k for r in iterations for k in r.get("by_source", {})} - set(SOURCES))
    for src in list(SOURCES) + extra:
        vals = [float(r.get("by_source", {}).get(src, 0)) for r in iterations]
        ax.bar(its, vals, bottom=bottom, label=src, color=COLOURS.get(src))
        bottom = [b + v for b, v in zip(bottom, vals)]
    ax.set_xlabel("iteration (library after learning)")
    ax.set_ylabel("skills")
    ax.set_xticks(its)
    ax.legend(fontsize=8)
    ax.set_title("Library growth by source")
    return _png(fig)


def ema_distributions(skills: Sequence[Any]) -> bytes:
    """Histograms of the sampling and refinement EMAs of skills that have been used in that mode."""
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(8.0, 3.2), sharey=False)
    for ax, (mode, ema, uses) in zip(axes, (("sampling", "sampling_ema", "sampling_uses"),
                                            ("refinement", "refine_ema", "refine_uses"))):
        for src in SOURCES:
            vals = [getattr(s, ema) for s in skills if s.source == src and getattr(s, uses) > 0]
            if vals:
                ax.hist(vals, bins=10, range=(0, 1), alpha=0.6, label=f"{src} ({len(vals)})", color=COLOURS[src])
        ax.set_title(f"{mode} EMA (used skills)")
        ax.set_xlabel("EMA")
        ax.set_xlim(0, 1)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
        else:
            ax.text(0.5, 0.5, "no skill used in this mode", ha="center", va="center", transform=ax.transAxes)
    axes[0].set_ylabel("skills")
    return _png(fig)


def diversity(rows: list[dict]) -> bytes:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    its = [r["iteration"] for r in rows]
    ax.plot(its, [r["programs"]["distinct_ratio"] for r in rows], "o-", label="programs: distinct outputs / attempt")
    bad = [r["iteration"] for r in rows if r.get("collapsed")]
    if bad:
        ax.plot(bad, [r["programs"]["distinct_ratio"] for r in rows if r.get("collapsed")], "rx", ms=12, label="collapse alert")
    if rows and rows[0].get("library", {}).get("embedding_dispersion") is not None:
        ax.plot(its, [r["library"]["embedding_dispersion"] for r in rows], "s--", label="library: embedding dispersion")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xticks(its)
    ax.set_xlabel("iteration")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("Diversity")
    return _png(fig)


def stepping_stones(batches: list[dict]) -> bytes:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    names = [b["name"] for b in batches]
    gains = [b["gain"] for b in batches]
    cols = ["#2ca02c" if b["admitted"] else "#d62728" for b in batches]
    ax.bar(range(len(names)), gains, color=cols)
    ax.scatter(range(len(names)), gains, c=cols, zorder=3, s=18)  # zero-gain batches stay visible
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=30, ha="right", fontsize=7)
    ax.set_ylabel("held-out solve-rate gain")
    ax.set_title("Stepping-stone batches (green admitted, red rejected)")
    return _png(fig)
