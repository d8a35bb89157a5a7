"""RunConfig: the search settings embedded (one source of defaults) and config.json round trips,
including the flat keys that older run directories hold."""
from __future__ import annotations

import json
from dataclasses import fields

import pytest

from mechacoder_soar.config import CurriculumConfig, RunConfig
from mechacoder_soar.library_search.config import SearchConfig
from mechacoder_soar.proposers.library import LibrarySearchConfig


def test_search_defaults_have_one_source():
    assert RunConfig().search == SearchConfig() == LibrarySearchConfig().search
    # the curriculum's student overrides the budget on purpose and inherits everything else
    student = CurriculumConfig().student.search
    assert (student.time_limit_s, student.budget) != (SearchConfig().time_limit_s, SearchConfig().budget)
    assert {f.name: getattr(student, f.name) for f in fields(SearchConfig) if f.name not in ("time_limit_s", "budget")} \
        == {f.name: getattr(SearchConfig(), f.name) for f in fields(SearchConfig) if f.name not in ("time_limit_s", "budget")}


def test_save_then_load_round_trips(tmp_path):
    cfg = RunConfig(suite="arc1-train", limit=3, task_ids=["a"], search=SearchConfig(budget=77, max_depth=2), seed=5)
    cfg.save(tmp_path / "config.json")
    assert json.loads((tmp_path / "config.json").read_text())["search"]["budget"] == 77
    assert RunConfig.load(tmp_path / "config.json") == cfg


def test_load_reads_older_flat_search_keys(tmp_path):
    old = {"suite": "arc1-train", "limit": 10, "iterations": 2, "search_time_s": 3.0, "search_budget": 1500,
           "search_depth": 2, "proposer": "library"}
    (tmp_path / "config.json").write_text(json.dumps(old))
    cfg = RunConfig.load(tmp_path / "config.json")
    assert (cfg.search.time_limit_s, cfg.search.budget, cfg.search.max_depth) == (3.0, 1500, 2)
    assert cfg.search.max_candidates == SearchConfig().max_candidates and cfg.limit == 10


def test_load_names_what_is_wrong(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"suite": "arc1-train", "serch_budget": 5}))
    with pytest.raises(ValueError, match="serch_budget") as e:
        RunConfig.load(path)
    assert str(path) in str(e.value)
    path.write_text(json.dumps({"search": {"budgte": 5}}))
    with pytest.raises(ValueError, match="budgte"):
        RunConfig.load(path)
    path.write_text(json.dumps({"search_budget": 0}))
    with pytest.raises(ValueError, match="budget must be >= 1"):
        RunConfig.load(path)
