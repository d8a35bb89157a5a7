from __future__ import annotations

import json

import pytest

from mechacoder_soar.distill.examples import (
    BINS, SFTExample, SelectionConfig, accuracy_bin, balance_bins, examples_from_skills, greedy_diverse,
)
from mechacoder_soar.distill.export import export_dataset, load_split, split_by_task
from mechacoder_soar.proposers.prompts import build_messages, extract_code

from ..proposers import fixtures as fx
from .helpers import ROT180, small_store


def test_bins() -> None:
    assert [accuracy_bin(a) for a in (0, 0.2, 0.34, 0.5, 0.98, 1.0)] == [BINS[0], BINS[1], BINS[1], BINS[2], BINS[3], BINS[3]]


def test_greedy_diverse_prefers_different_programs() -> None:
    codes = ["def f(x): return x", "def f(x): return x  ", "def g(y):\n    import numpy\n    return numpy.flip(y)", "def f(x): return x+1"]
    picked = greedy_diverse(codes, 2)
    assert picked[0] == 0 and picked[1] == 2
    assert len(greedy_diverse(["a = 1", "a = 1"], 5)) == 1  # duplicates never come back
    assert greedy_diverse([], 3) == []


def test_balance_bins_equalises() -> None:
    rows = [SFTExample([], "r", f"t{i}", "refine", bin=BINS[0]) for i in range(5)] + [
        SFTExample([], "r", "u", "refine", bin=BINS[2])
    ]
    out = balance_bins(rows, per_bin=None)
    assert sorted(r.bin for r in out) == sorted([BINS[0], BINS[2]])
    assert len(balance_bins(rows, per_bin=3)) == 4


def test_rows_from_skills_use_inference_prompts() -> None:
    rows = examples_from_skills(small_store(), SelectionConfig(max_sample_per_task=2))
    sample = [r for r in rows if r.kind == "sample"]
    refine = [r for r in rows if r.kind == "refine"]
    assert {r.task_id for r in sample} == {"6150a2bd", "5582e5ca", "toy-flip"}
    assert sum(r.task_id == "6150a2bd" for r in sample) == 2  # capped, greedy-diverse
    assert all(r.meta["source"] != "seed" for r in rows)
    # exactly the prompt the proposer sends, and a response the extractor reads back
    toy_row = next(r for r in sample if r.task_id == "toy-flip")
    assert toy_row.messages == build_messages(fx.arc_task().public(), [], "sample")
    assert extract_code(toy_row.response, "arc") is not None
    assert sorted(r.bin for r in refine) == sorted([BINS[0], BINS[2]])
    rot = next(r for r in refine if r.task_id == "6150a2bd")
    assert "Previous program" in rot.messages[1]["content"] and extract_code(rot.response, "arc") == ROT180


def test_bad_task_json_is_named() -> None:
    from skills_store.schema import Skill

    s = Skill(id="x", content_hash="h", code="def transform(g): return g", description="d", meta={"task_json": "{oops"})
    with pytest.raises(ValueError, match="skill x"):
        examples_from_skills([s])


def test_export_split_manifest_and_hf(tmp_path) -> None:
    rows = examples_from_skills(small_store())
    manifest = export_dataset(rows, tmp_path / "ds", val_fraction=0.34)
    train, val = load_split(tmp_path / "ds", "train"), load_split(tmp_path / "ds", "validation")
    assert len(train) + len(val) == len(rows) and val and train
    assert not ({r.task_id for r in train} & {r.task_id for r in val})  # held out by task
    assert manifest["counts"]["validation"]["tasks"] == len(manifest["validation_tasks"])
    assert train[0].messages == next(r for r in rows if r.response == train[0].response and r.task_id == train[0].task_id).messages
    import datasets

    dd = datasets.load_from_disk(str(tmp_path / "ds" / "hf"))
    assert dd["train"].num_rows == len(train)
    assert json.loads(dd["train"][0]["messages"]) == train[0].messages


def test_split_is_stable_and_keeps_a_train_task() -> None:
    rows = [SFTExample([], "r", t, "sample") for t in ("a", "b", "c", "d")]
    tr1, va1 = split_by_task(rows, 0.5)
    tr2, va2 = split_by_task(list(reversed(rows)), 0.5)
    assert {r.task_id for r in va1} == {r.task_id for r in va2}  # by task hash, not input order
    tr, va = split_by_task(rows, 0.9)
    assert tr and len({r.task_id for r in va}) == 3
    with pytest.raises(ValueError):
        split_by_task(rows, 1.0)


def test_export_refuses_empty_and_prompt_mismatch(tmp_path) -> None:
    with pytest.raises(ValueError, match="no examples"):
        export_dataset([], tmp_path / "e")
    export_dataset(examples_from_skills(small_store()), tmp_path / "ds")
    m = json.loads((tmp_path / "ds" / "manifest.json").read_text())
    m["prompt_version"] = -1
    (tmp_path / "ds" / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(ValueError, match="prompt version"):
        load_split(tmp_path / "ds", "train")
