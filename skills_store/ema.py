"""EMA maths for a skill's success rate in one mode (sampling or refinement)."""
from __future__ import annotations

from .config import EmaConfig


def ema_update(ema: float, uses: int, outcome: float, cfg: EmaConfig) -> tuple[float, int]:
    """Fold one outcome (0..1) into (ema, uses); returns the new pair.

    step = max(alpha, 1/(uses+1)): the first 1/alpha outcomes are averaged exactly (bias
    correction), later ones decay geometrically with rate alpha.
    """
    if not 0.0 <= outcome <= 1.0:
        raise ValueError(f"outcome must be in [0, 1], got {outcome}")
    uses += 1
    step = max(cfg.alpha, 1.0 / uses)
    return ema + step * (outcome - ema), uses


def effective_count(uses: int, cfg: EmaConfig) -> float:
    """How many observations an EMA is worth: all of them until its memory (1/alpha) is full."""
    return float(min(uses, 1.0 / cfg.alpha))
