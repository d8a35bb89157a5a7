import pytest

from skills_store.config import EmaConfig
from skills_store.ema import effective_count, ema_update


def test_first_outcomes_are_averaged_exactly():
    cfg = EmaConfig(alpha=0.1)
    ema, uses = 0.0, 0
    for o in (1, 0, 1, 1):
        ema, uses = ema_update(ema, uses, o, cfg)
    assert uses == 4
    assert ema == pytest.approx(0.75)


def test_warm_ema_decays_with_alpha():
    cfg = EmaConfig(alpha=0.5)
    ema, uses = ema_update(0.0, 0, 1.0, cfg)  # step 1 -> 1.0
    ema, uses = ema_update(ema, uses, 0.0, cfg)  # step 1/2 -> 0.5
    ema, uses = ema_update(ema, uses, 0.0, cfg)  # step max(0.5, 1/3) -> 0.25
    assert ema == pytest.approx(0.25)
    assert effective_count(uses, cfg) == 2.0


def test_rejects_out_of_range_outcome_and_alpha():
    with pytest.raises(ValueError, match="outcome"):
        ema_update(0.0, 0, 1.5, EmaConfig())
    with pytest.raises(ValueError, match="alpha"):
        EmaConfig(alpha=0.0)
