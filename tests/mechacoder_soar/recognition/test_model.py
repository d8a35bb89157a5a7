"""The recognition model: dreams of known programs teach it which primitive a new task needs."""
import numpy as np
import pytest

from mechacoder_soar.domain import Example as Pair
from mechacoder_soar.domain import Task
from mechacoder_soar.recognition import (DreamConfig, Dreamer, RecognitionConfig, Recognizer, RecognizerConfig,
                                         dream_pairs, program_key)

from .synthetic import PROGRAMS, make_task, random_inputs


def observed_tasks(rng, n):
    """Tasks whose train inputs dreams are made on (their outputs play no part)."""
    return [Task(id=f"seen{i}", kind="arc", train=[Pair(input=g, output=g) for g in random_inputs(rng, 3)])
            for i in range(n)]


def trained(rng, programs=PROGRAMS, n_tasks=12):
    rec = Recognizer(RecognizerConfig(dreams=DreamConfig(tasks_per_program=8)))
    rec.observe(observed_tasks(rng, n_tasks))
    rec.retrain({program_key(s): (s, None) for s in programs.values()})
    return rec


def test_right_primitive_first_on_tasks_built_from_known_programs():
    rng = np.random.default_rng(0)
    rec = trained(rng)
    misses = []
    for name, steps in PROGRAMS.items():
        for j in range(3):
            pred = rec.predict(make_task(f"new-{name}-{j}", steps, rng))
            if pred.order[0] != name:
                misses.append((name, pred.order[:3]))
            assert [list(s) for s in pred.programs[0]] == [list(s) for s in steps] or pred.order[0] != name
    assert not misses
    # the predicted primitive is made cheaper, one no neighbour used dearer
    pred = rec.predict(make_task("again", PROGRAMS["tile"], rng))
    assert pred.prior["tile"] < 1.0 < pred.prior["rot90"]


def test_an_untrained_model_predicts_nothing():
    rng = np.random.default_rng(0)
    rec = Recognizer()
    assert rec.predict(make_task("t", PROGRAMS["tile"], rng)).empty
    rec.observe(observed_tasks(rng, 2))
    rec.retrain({})  # no programs learned: no evidence
    assert rec.predict(make_task("t", PROGRAMS["tile"], rng)).empty


def test_a_tasks_own_dreams_are_left_out_of_its_prediction():
    rng = np.random.default_rng(3)
    task = make_task("target", PROGRAMS["flip_lr"], rng)
    rec = Recognizer(RecognizerConfig(model=RecognitionConfig(min_examples=1), dreams=DreamConfig(tasks_per_program=0)))
    rec.observe([task])
    rec.retrain({program_key(PROGRAMS["flip_lr"]): (PROGRAMS["flip_lr"], "target")})
    assert rec.model.n_examples == 1
    assert rec.predict(task).empty  # its only evidence is its own inputs run through flip_lr


def test_dreams_skip_non_tasks_and_are_cached():
    rng = np.random.default_rng(4)
    ins = random_inputs(rng, 3)
    assert dream_pairs([("flip_lr", {}), ("flip_lr", {})], ins) is None   # identity: no task
    assert dream_pairs([("scale_down", {"ky": 7, "kx": 7})], ins) is None  # fails on these grids
    d = Dreamer(DreamConfig(tasks_per_program=1))
    inputs = {"a": ins, "b": random_inputs(rng, 3)}
    progs = {program_key(s): (s, "a") for s in PROGRAMS.values()}
    first = d.examples(progs, inputs)
    assert {e.task_id for e in first} == {"a", "b"} and all(e.origin == (e.task_id == "a") for e in first)
    n = len(d._cache)
    again = d.examples(progs, inputs)
    assert len(d._cache) == n and [e.task_id for e in again] == [e.task_id for e in first]


def test_bad_config_is_refused():
    with pytest.raises(ValueError, match="RecognitionConfig"):
        RecognitionConfig(lo=1.5)
    with pytest.raises(ValueError, match="DreamConfig"):
        DreamConfig(max_inputs=0)
