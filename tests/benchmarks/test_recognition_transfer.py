"""recognition_transfer.py's protocol: tuning holds out learn-half tasks only, and its flags are checked."""
from __future__ import annotations

import pytest

from mechacoder_soar.arc import list_task_ids

from .test_transfer_eval import _load

rt = _load("recognition_transfer")


class _T:
    def __init__(self, id):
        self.id = id


def test_dev_split_holds_out_learn_tasks_only_and_is_fixed():
    learn = [_T(i) for i in sorted(list_task_ids("arc1-train:learn"))]
    rest, held = rt.dev_split(learn, 40)
    assert len(held) == 40 and len(rest) == len(learn) - 40
    assert not {t.id for t in rest} & {t.id for t in held}
    assert not {t.id for t in held} & set(list_task_ids("arc1-train:transfer"))
    again = rt.dev_split(list(reversed(learn)), 40)[1]
    assert {t.id for t in again} == {t.id for t in held}   # by hash, not by position


def test_flags_are_checked():
    args = rt.parse_args(["--conditions", "seeds,learned+recognition", "--set", "first_k=3"])
    assert args.conditions == ["seeds", "learned+recognition"] and args.max_budget == 2000
    assert rt.recognition_config(args.overrides).first_k == 3
    with pytest.raises(SystemExit):
        rt.parse_args(["--conditions", "seeds,magic"])
    with pytest.raises(SystemExit, match="KEY=VALUE"):
        rt.recognition_config(["nosuchfield=1"])
    with pytest.raises(ValueError, match="first_k"):
        rt.recognition_config(["first_k=2", "first_lo=2.0"])
