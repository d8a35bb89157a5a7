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


# depth-2 programs with distinct first steps: the first-step and conditional steering's material
TWO_STEP = {
    "crop_to_content": [("crop_to_content", {}), ("scale_up", {"ky": 2, "kx": 2})],
    "tile": [("tile", {"ny": 2, "nx": 2}), ("draw_frame", {"colour": 5})],
    "gravity": [("gravity", {"direction": "down"}), ("flip_ud", {})],
    "mirror_concat": [("mirror_concat", {"mode": "down"}), ("flip_lr", {})],
    "keep_colour": [("keep_colour", {"colour": 2}), ("transpose", {})],
}


def test_first_step_and_conditional_steering_reshape_the_costs():
    rng = np.random.default_rng(8)
    cfg = RecognitionConfig(first_k=1, first_lo=0.2, first_hi=1.5, next_lo=0.5)
    rec = Recognizer(RecognizerConfig(model=cfg, dreams=DreamConfig(tasks_per_program=8)))
    rec.observe(observed_tasks(rng, 12))
    rec.retrain({program_key(s): (s, None) for s in TWO_STEP.values()})
    right = 0
    for first, steps in TWO_STEP.items():
        pred = rec.predict(make_task(f"new-{first}", steps, rng))
        root = pred.step_prior[""]
        assert sorted(set(root.values())) == [0.2, 1.5] and list(root.values()).count(0.2) == 1
        right += root[first] == 0.2 and pred.step_prior[first][steps[1][0]] == 0.5
    assert right == len(TWO_STEP)
    # off by default: the nudge alone, no conditional costs
    off = trained(rng, TWO_STEP).predict(make_task("again", TWO_STEP["tile"], rng))
    assert off.step_prior == {} and off.first and max(off.first, key=off.first.get) == "tile"


def test_sharp_steering_prices_the_top_k_at_every_depth():
    rng = np.random.default_rng(9)
    rec = Recognizer(RecognizerConfig(model=RecognitionConfig(sharp_k=2, sharp_lo=0.3, sharp_hi=1.6),
                                      dreams=DreamConfig(tasks_per_program=8)))
    rec.observe(observed_tasks(rng, 12))
    rec.retrain({program_key(s): (s, None) for s in TWO_STEP.values()})
    pred = rec.predict(make_task("t", TWO_STEP["gravity"], rng))
    cheap = {n for n, m in pred.prior.items() if m == 0.3}
    assert len(cheap) == 2 and cheap == set(pred.order[:2]) and "gravity" in cheap
    assert all(m in (0.3, 1.6) for m in pred.prior.values())
    with pytest.raises(ValueError, match="first_k"):
        RecognitionConfig(first_k=2, first_lo=1.5)
    with pytest.raises(ValueError, match="next_lo"):
        RecognitionConfig(next_lo=0)
