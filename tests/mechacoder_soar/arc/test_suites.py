from __future__ import annotations

import json

import pytest

from mechacoder_soar.arc import ArcDataError, list_task_ids, load_suite, load_task


def test_arc1_sizes_and_answers():
    train = load_suite("arc1-train")
    ev = load_suite("arc1-eval")
    assert len(train) == 400 and len(ev) == 400
    t = load_task("arc1-train", "67a3c6ac")
    assert t.kind == "arc" and t.id == "67a3c6ac" and t.meta["suite"] == "arc1-train"
    assert len(t.train) == 3 and len(t.test_inputs) == 1 and t.test_outputs is not None
    assert t.public().test_outputs is None


def test_arc2_present():
    ids = list_task_ids("arc2-eval")
    assert len(ids) == 120
    assert len(list_task_ids("arc2-train")) == 1000
    t = load_suite("arc2-eval", limit=2)
    assert len(t) == 2 and all(x.test_outputs for x in t)


def test_task_ids_and_limit():
    ts = load_suite("arc1-train", task_ids=["68b16354", "0d3d703e"])
    assert [t.id for t in ts] == ["68b16354", "0d3d703e"]
    assert [t.id for t in load_suite("arc1-train", limit=3)] == sorted(list_task_ids("arc1-train"))[:3]


def test_errors_name_what_is_wrong(tmp_path):
    with pytest.raises(ArcDataError, match="unknown suite 'arc3-train'"):
        load_suite("arc3-train")
    with pytest.raises(ArcDataError, match="deadbeef"):
        load_task("arc1-eval", "deadbeef")
    with pytest.raises(ArcDataError, match="does not exist"):
        load_suite(f"arc:{tmp_path / 'nope'}")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ArcDataError, match="bad.json: malformed JSON"):
        load_suite(f"arc:{tmp_path}")


def _task(inp, out):
    return {"train": [{"input": inp, "output": out}], "test": [{"input": inp, "output": out}]}


def test_directory_suite(tmp_path):
    (tmp_path / "aaa.json").write_text(json.dumps(_task([[1]], [[2]])))
    (tmp_path / "bbb.json").write_text(json.dumps({"train": [{"input": [[1]], "output": [[2]]}], "test": [{"input": [[3]]}]}))
    ts = load_suite(f"arc:{tmp_path}")
    assert [t.id for t in ts] == ["aaa", "bbb"]
    assert ts[0].test_outputs == [[[2]]] and ts[1].test_outputs is None
    # a single file holding one task
    assert load_suite(f"arc:{tmp_path / 'aaa.json'}")[0].id == "aaa"


@pytest.mark.parametrize(
    "data,msg",
    [
        ({"train": [], "test": [{"input": [[1]]}]}, "'train' must be a non-empty list"),
        ({"train": [{"input": [[1]]}], "test": [{"input": [[1]]}]}, r"train\[0\] must have 'input' and 'output'"),
        (_task([[11]], [[1]]), r"train\[0\].input: not an ARC grid"),
        (_task([[1, 2], [3]], [[1]]), "rectangular"),
    ],
)
def test_malformed_tasks(tmp_path, data, msg):
    (tmp_path / "t.json").write_text(json.dumps(data))
    with pytest.raises(ArcDataError, match=msg):
        load_suite(f"arc:{tmp_path}")
