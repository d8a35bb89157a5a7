"""`soar run` / `soar adapt` flags: every RunConfig field has one (or is marked internal, saying
why), every default is RunConfig's own, and a command line maps onto the RunConfig it names."""
from __future__ import annotations

from dataclasses import fields

import pytest
import typer.main

from mechacoder_soar.cli import app
from mechacoder_soar.cli.run_cmd import run_config
from mechacoder_soar.config import FLAT_SEARCH_KEYS, RunConfig
from mechacoder_soar.library_search.config import SearchConfig

NOT_CONFIG = {"resume", "as_json", "final"}


def _params(name: str) -> dict:
    cmd = typer.main.get_command(app).commands[name]
    return {p.name: p for p in cmd.params}


@pytest.mark.parametrize("command", ["run", "adapt"])
def test_every_run_config_field_has_a_flag_or_is_internal(command):
    params = _params(command)
    for f in fields(RunConfig):
        if f.name == "search":
            assert set(FLAT_SEARCH_KEYS) <= set(params)
        else:
            assert f.name in params or f.metadata.get("internal"), f"RunConfig.{f.name}: no flag and not marked internal"
    assert set(params) - NOT_CONFIG <= {f.name for f in fields(RunConfig)} | set(FLAT_SEARCH_KEYS)


@pytest.mark.parametrize("command", ["run", "adapt"])
def test_flag_defaults_are_the_config_defaults(command):
    d = RunConfig()
    for name, p in _params(command).items():
        if name in NOT_CONFIG or name == "task_ids":
            continue
        if command == "adapt" and name == "namespace":
            assert p.default is None  # adapt learns into a namespace of its own, named after its run dir
            continue
        want = getattr(d.search, FLAT_SEARCH_KEYS[name]) if name in FLAT_SEARCH_KEYS else getattr(d, name)
        assert p.default == want, f"--{name}: default {p.default!r}, RunConfig says {want!r}"


def test_a_command_line_maps_onto_the_run_config():
    opts = {name: p.default for name, p in _params("run").items() if name not in NOT_CONFIG}
    assert run_config(False, opts) == RunConfig()
    cfg = run_config(True, {**opts, "task_ids": "a,b", "search_budget": 40, "search_time_s": 3.0, "search_depth": 2,
                            "learn": False, "program_timeout_s": 0.5})
    assert cfg.adapt and not cfg.learn and cfg.task_ids == ["a", "b"] and cfg.program_timeout_s == 0.5
    assert cfg.search == SearchConfig(budget=40, time_limit_s=3.0, max_depth=2)


def test_curriculum_flag_defaults_are_the_config_defaults():
    from mechacoder_soar.config import CurriculumConfig

    d = CurriculumConfig()
    params = _params("curriculum")
    want = {"holdout": d.holdout, "repeats": d.repeats, "search_time": d.student.search.time_limit_s,
            "search_budget": d.student.search.budget, "max_depth": d.student.search.max_depth,
            "generators": ",".join(d.generators), "min_gain": d.min_gain, "seed": d.seed, "dry_run": d.dry_run}
    assert {k: params[k].default for k in want} == want
