"""The library proposer with the recognition model, on a real store: learned programs steer the
search on held-out tasks; seeded calls are deterministic and never repeat a program in a round."""
import json

import numpy as np

from mechacoder_soar.domain import Attempt
from mechacoder_soar.library_search.config import SearchConfig
from mechacoder_soar.proposers.library import LibrarySearchConfig, LibrarySearchProposer, ensure_seed_skills
from tests.mechacoder_soar.recognition.synthetic import make_task

# depth-2 programs: past what a search of a few dozen programs reaches from the seeds alone
COMPOSED = [
    [("crop_to_content", {}), ("flip_lr", {})],
    [("gravity", {"direction": "down"}), ("flip_ud", {})],
    [("keep_colour", {"colour": 2}), ("scale_up", {"ky": 2, "kx": 2})],
    [("mirror_concat", {"mode": "down"}), ("draw_frame", {"colour": 5})],
    [("take_half", {"which": "left"}), ("tile", {"ny": 2, "nx": 2})],
    [("crop_to_content", {}), ("scale_up", {"ky": 2, "kx": 2})],
    [("transpose", {}), ("keep_colour", {"colour": 2})],
    [("draw_frame", {"colour": 5}), ("rot180", {})],
]
SMALL = dict(search=SearchConfig(budget=40, time_limit_s=20.0), processes=1)


def learn(store, rng):
    """What the loop leaves in the library after learning on tasks these programs solved: one
    solved skill per program, and the proposer shown those tasks' inputs. Returns the tasks."""
    from mechacoder_soar.describe import describe_arc
    from mechacoder_soar.library_search.primitives import render_program

    tasks = [make_task(f"learn{i}-{j}", steps, rng) for i, steps in enumerate(COMPOSED) for j in range(2)]

    store.add([{"code": render_program(COMPOSED[i // 2]),
                "description": describe_arc([(e.input, e.output) for e in t.train], t.test_inputs),
                "kind": "arc", "source": "solved", "origin_task_id": t.id,
                "meta": {"dsl": json.dumps(COMPOSED[i // 2])}} for i, t in enumerate(tasks)])
    return tasks


def solved(prop, tasks) -> int:
    return sum(any(json.loads(p.meta["dsl"]) == [list(s) for s in steps] or _correct(p, t) for p in prop.sample(t, [], 2))
               for t, steps in tasks)


def _correct(p, task) -> bool:
    from mechacoder_soar.library_search.primitives import run_steps

    steps = [tuple(s) for s in json.loads(p.meta["dsl"])]
    return all(run_steps(steps, e.input) == e.output for e in task.train)


def test_learned_library_beats_the_seeds_on_held_out_tasks(store):
    rng = np.random.default_rng(11)
    ensure_seed_skills(store)
    held_out = [(make_task(f"new{i}", steps, rng).public(), steps) for i, steps in enumerate(COMPOSED)]
    seeds_only = solved(LibrarySearchProposer(store, LibrarySearchConfig(**SMALL)), held_out)
    learn_tasks = learn(store, rng)
    # retrieval hands over only two compositions; the recognition model adds its own picks
    off = LibrarySearchProposer(store, LibrarySearchConfig(**SMALL, k_retrieve=2, recognition=False))
    on = LibrarySearchProposer(store, LibrarySearchConfig(**SMALL, k_retrieve=2))
    on.observe(learn_tasks)
    without_model, with_model = solved(off, held_out), solved(on, held_out)
    assert with_model >= 6, (seeds_only, without_model, with_model)
    assert with_model > seeds_only and with_model >= without_model


def test_recognition_puts_the_learned_program_first(store):
    rng = np.random.default_rng(5)
    ensure_seed_skills(store)
    p = LibrarySearchProposer(store, LibrarySearchConfig(**SMALL))
    p.observe(learn(store, rng))
    task = make_task("target", COMPOSED[2], rng).public()
    st = p.steer(task, [])
    assert st.extras[0] == COMPOSED[2]
    assert st.order[0] in {"keep_colour", "scale_up"}
    assert st.prior["scale_up"] < 1.0
    assert p.sample(task, [], 1)[0].context_skill_ids  # the learned skill is credited


def parent_of(task, steps) -> Attempt:
    from mechacoder_soar.library_search.primitives import render_program, run_steps

    outs = [run_steps(steps, e.input) for e in task.train]
    acc = sum(o == e.output for o, e in zip(outs, task.train)) / len(outs)
    return Attempt(id="parent", task_id=task.id, code=render_program(steps), mode="sample", proposer="library-search",
                   iteration=0, train_outputs=outs, train_correct=[o == e.output for o, e in zip(outs, task.train)],
                   train_accuracy=acc, test_outputs=[None], meta={"dsl": json.dumps(steps)})


def test_seeded_calls_are_deterministic_and_never_repeat_in_a_round(store):
    rng = np.random.default_rng(7)
    ensure_seed_skills(store)
    task = make_task("t", COMPOSED[0], rng).public()
    cfg = LibrarySearchConfig(search=SearchConfig(budget=300, time_limit_s=20.0), processes=1)
    a, b = LibrarySearchProposer(store, cfg), LibrarySearchProposer(store, cfg)
    first = [x.code for x in a.sample(task, [], 3, seed=7)]
    assert first == [x.code for x in b.sample(task, [], 3, seed=7)]          # same seed, same programs
    second = [x.code for x in a.sample(task, [], 3, seed=7)]
    assert second and not set(second) & set(first)                          # a second call: new ones
    parent = parent_of(task, [("crop_to_content", {})])
    r1, r2 = a.refine(task, parent, [], 1, seed=3), a.refine(task, parent, [], 1, seed=3)
    assert r1 and r2 and r1[0].code != r2[0].code                            # one parent twice: two children
    a.start_task(task.id)                                                    # a new round (iteration)
    assert [x.code for x in a.sample(task, [], 3, seed=7)] == first


class _CountingLibrary:
    """The store, counting the proposer's retrievals."""

    def __init__(self, store):
        self.store, self.retrievals = store, 0

    def retrieve_for_sampling(self, *a, **kw):
        self.retrievals += 1
        return self.store.retrieve_for_sampling(*a, **kw)

    def __getattr__(self, name):
        return getattr(self.store, name)


def test_a_round_reads_the_library_once_per_task_and_a_new_round_or_a_grown_library_reads_again(store):
    rng = np.random.default_rng(5)
    ensure_seed_skills(store)
    task = make_task("t", COMPOSED[1], rng).public()
    lib = _CountingLibrary(store)
    p = LibrarySearchProposer(lib, LibrarySearchConfig(**SMALL))
    p.steer(task, []), p.steer(task, [])
    assert lib.retrievals == 4                              # outside a round: every call reads
    p.start_task(task.id)
    first = p.steer(task, [])
    p.sample(task, [], 2), p.refine(task, parent_of(task, [("flip_ud", {})]), [], 1)
    assert lib.retrievals == 6 and p.steer(task, []).order == first.order   # the round's calls: one read
    p.start_task(task.id)
    p.steer(task, [])
    assert lib.retrievals == 8                              # a new round reads again
    learn(store, rng)                                       # the library grew (another run's learning)
    grown = p.steer(task, [])
    assert lib.retrievals == 10 and grown.extras != first.extras


def test_dreams_run_in_the_search_processes_give_the_same_model(store):
    rng = np.random.default_rng(9)
    ensure_seed_skills(store)
    tasks = learn(store, rng)
    models, pooled = [], []
    for processes in (1, 2):
        p = LibrarySearchProposer(store, LibrarySearchConfig(**{**SMALL, "processes": processes}))
        p.observe(tasks)
        p._sync()
        models.append(p.recognizer.model)
        pooled.append(p._pool is not None)   # the pool starts at its first use
        p.close()
    assert pooled == [False, True] and models[0].n_examples > 4 * 2  # past the in-process cut-off
    assert np.array_equal(models[0]._x, models[1]._x)
    assert [e.steps for e in models[0]._examples] == [e.steps for e in models[1]._examples]
