"""REX parent choice for refinement (Tang et al. 2024, as used by SOAR §3.2).

Each candidate parent p with train accuracy h_p, already refined N_p times, draws
    theta_p ~ Beta(1 + C*h_p, 1 + C*(1 - h_p) + N_p)
and the largest draw is refined next. C trades exploitation (high C: trust h) against
exploration. N_p must grow after every refinement of p: SOAR's released code never increments
it, so its exploration term is always 0. `RexState.choose` increments it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def rex_draw(h: float, n_refined: int, c: float, rng: np.random.Generator) -> float:
    return float(rng.beta(1.0 + c * h, 1.0 + c * (1.0 - h) + n_refined))


@dataclass
class RexState:
    c: float = 20.0
    refined: dict[str, int] = field(default_factory=dict)

    def choose(self, candidates: list[tuple[str, float]], rng: np.random.Generator) -> str | None:
        """candidates: (attempt id, train accuracy). Returns the chosen id and counts the refinement."""
        if not candidates:
            return None
        draws = [rex_draw(h, self.refined.get(i, 0), self.c, rng) for i, h in candidates]
        chosen = candidates[int(np.argmax(draws))][0]
        self.refined[chosen] = self.refined.get(chosen, 0) + 1
        return chosen
