"""search_speed.py --profile: the engine's time is accounted for in full, by group and by name."""
from __future__ import annotations

from .test_transfer_eval import _load

ss = _load("search_speed")


def test_profile_shares_cover_the_whole_search():
    rows = ss.profile(budget=60, depth=2, tasks=ss.THROUGHPUT_TASKS[:1], top=4)
    groups = [(k, v) for k, v in rows if k.startswith("all: ")]
    named = [(k, v) for k, v in rows if not k.startswith("all: ")]
    assert abs(sum(v for _, v in groups) - 1.0) < 1e-6     # every second of the search is in one group
    assert len(named) == 4 and [v for _, v in named] == sorted((v for _, v in named), reverse=True)
    assert any(k.startswith(("primitive ", "helper ")) for k, _ in named) or \
        dict(groups).get("all: primitive and helper bodies", 0) > 0
