from mechacoder_soar.domain import Attempt
from mechacoder_soar.pooling import pool_by_iteration, pool_by_proposer, score_pool, task_scores

G1, G2, G3 = [[[1]]], [[[2]]], [[[3]]]


def att(i, task="t", out=G1, acc=0.0, ok=False, it=0, prop="p", error=None):
    return Attempt(id=f"a{i}", task_id=task, code=f"c{i}", iteration=it, proposer=prop, test_outputs=out,
                   train_accuracy=acc, train_correct=[acc == 1.0], test_correct=[ok], error=error)


def test_vote_vs_oracle_gap():
    # the right answer (G3) is produced once by a weak program; two stronger wrong groups win the vote
    atts = [att(1, out=G1, acc=0.5), att(2, out=G2, acc=0.5), att(3, out=G3, acc=0.0, ok=True)]
    assert task_scores(atts) == (0.0, 1.0)
    s = score_pool(atts)
    assert s.vote_pass_at_2 == 0.0 and s.oracle == 1.0 and s.gap == 1.0
    # a top-2 group that is right counts
    assert task_scores(atts[1:]) == (1.0, 1.0)


def test_unscored_tasks_are_counted_not_scored():
    a = Attempt(id="x", task_id="u", code="c", test_outputs=G1, test_correct=None)
    s = score_pool([a, att(1, ok=True, acc=1.0)])
    assert s.tasks == 1 and s.unscored == 1 and s.vote_pass_at_2 == 1.0


def test_pooling_across_iterations_and_proposers_lifts_the_vote():
    # iteration 0 finds the right answer; iteration 1 alone votes a confident wrong answer twice
    it0 = [att(1, out=G3, acc=1.0, ok=True, it=0, prop="llm")]
    it1 = [att(2, out=G1, acc=0.9, it=1, prop="lib"), att(3, out=G2, acc=0.9, it=1, prop="lib")]
    rows = pool_by_iteration(it0 + it1)
    assert rows[1]["single"]["vote_pass_at_2"] == 0.0
    assert rows[1]["pooled"]["vote_pass_at_2"] == 1.0 and rows[1]["pooled"]["attempts"] == 3
    bp = pool_by_proposer(it0 + it1)
    assert bp["per_proposer"]["lib"]["vote_pass_at_2"] == 0.0 and bp["per_proposer"]["llm"]["vote_pass_at_2"] == 1.0
    assert bp["all"]["vote_pass_at_2"] == 1.0


def test_errors_never_count_for_the_oracle():
    assert task_scores([att(1, out=G1, ok=True, error="boom")]) == (0.0, 0.0)


def test_a_task_counts_only_when_every_test_output_is_right():
    # two test inputs; the top-2 vote groups hit input 0 only: half the inputs, but not pass@2
    def two(i, out, ok):
        return Attempt(id=f"m{i}", task_id="m", code=f"m{i}", test_outputs=out, train_accuracy=1.0,
                       train_correct=[True], test_correct=ok)
    half = [two(1, [[[1]], [[1]]], [True, False]), two(2, [[[1]], [[2]]], [True, False])]
    assert task_scores(half) == (0.0, 0.0)
    # one group right on input 0, the other on input 1: both within two submissions -> solved
    assert task_scores([two(1, [[[1]], [[1]]], [True, False]), two(2, [[[2]], [[2]]], [False, True])]) == (1.0, 1.0)
