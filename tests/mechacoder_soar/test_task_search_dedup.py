"""No wasted budget in one task and iteration: a program (by normalised code) is evaluated once,
and an output set already journalled is not journalled again. Real store, executor and loop; the
proposer is a test double that repeats itself."""
import json

from graphs.runner import run_loop
from mechacoder_soar.config import RunConfig
from mechacoder_soar.proposers.base import Proposal

FLIP_TASK = "68b16354"  # arc1-train: upside-down flip
FLIP = "def transform(grid):\n    return grid[::-1]"
FLIP_AGAIN = "def transform(grid):\n    # the same program, formatted differently\n    return grid[ : : -1]"
WRONG = "def transform(grid):\n    return [[(v + 1) % 10 for v in r] for r in grid]"


class Repeating:
    name = "repeating"

    def __init__(self):
        self.evaluated: list[str] = []

    def sample(self, task, skills, n, seed=0):
        return [Proposal(WRONG), Proposal(WRONG), Proposal(FLIP_AGAIN)][:n]

    def refine(self, task, parent, skills, n, seed=0):
        return [Proposal(FLIP)]  # other code than FLIP_AGAIN, the same outputs


def test_duplicates_are_neither_evaluated_nor_journalled(tmp_path, library):
    import mechacoder_soar.proposers.factory as f

    cfg = RunConfig(suite="arc1-train", task_ids=[FLIP_TASK], iterations=1, budget_sample=6, budget_refine=3,
                    sample_batch=3, run_dir=str(tmp_path / "run"), concurrency=1, workers=1)
    orig, f.make_proposer = f.make_proposer, (lambda cfg, lib, kinds: Repeating())
    try:
        m = run_loop(cfg, library=library)
    finally:
        f.make_proposer = orig
    recs = [json.loads(line) for line in (tmp_path / "run" / "attempts.jsonl").read_text().splitlines()]
    codes = [r["code"] for r in recs]
    # WRONG once (its repeats dropped before evaluation), FLIP_AGAIN once; FLIP reproduces
    # FLIP_AGAIN's outputs exactly: evaluated once, never journalled
    assert codes == [WRONG, FLIP_AGAIN]
    outputs = [json.dumps([r["predicted_train_output"], r["predicted_test_output"]]) for r in recs]
    assert len(set(outputs)) == len(outputs)
    assert m["iterations"][0]["attempts"] == 2 and m["iterations"][0]["train_solved"] == 1


def test_rendered_programs_are_keyed_by_their_text_and_free_form_code_by_its_normalised_form():
    from mechacoder_soar.library_search.primitives import render_program
    from mechacoder_soar.task_search import _Seen

    dsl = json.dumps([["flip_ud", {}]])
    rendered = render_program([("flip_ud", {})])
    seen = _Seen([])
    props = [Proposal(rendered, meta={"dsl": dsl}), Proposal(rendered, meta={"dsl": dsl}), Proposal(FLIP),
             Proposal(FLIP_AGAIN)]
    assert [p.code for p in seen.new_code(props)] == [rendered, FLIP]
    assert seen.new_code([Proposal(rendered + "\n", meta={"dsl": dsl})])   # keyed by the text (outputs dedup the rest)
