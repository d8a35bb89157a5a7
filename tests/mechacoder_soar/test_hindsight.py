from mechacoder_soar.domain import Attempt, Example, Task
from mechacoder_soar.hindsight import degenerate_reason, relabel_arc, relabel_behaviour

TASK = Task(id="t1", kind="arc", train=[Example(input=[[1, 0], [0, 0]], output=[[2, 0], [0, 0]]),
                                        Example(input=[[0, 1], [1, 1]], output=[[0, 2], [2, 2]])],
            test_inputs=[[[1, 1], [0, 1]]], test_outputs=[[[2, 2], [0, 2]]])


def att(train, test, code="def transform(g):\n    return [[3 if v else v for v in r] for r in g]", error=None):
    return Attempt(id="a1", task_id="t1", code=code, train_outputs=train, test_outputs=test, error=error,
                   train_correct=[o == e.output for o, e in zip(train, TASK.train)])


def test_wrong_program_becomes_right_for_its_own_outputs():
    a = att([[[3, 0], [0, 0]], [[0, 3], [3, 3]]], [[[3, 3], [0, 3]]])
    r = relabel_arc(TASK, a)
    assert r is not None
    assert [e.output for e in r.task.train] == a.train_outputs
    assert r.task.test_outputs == a.test_outputs
    assert r.skill.source == "hindsight" and r.skill.code == a.code and r.skill.output_signature
    assert "green" in r.skill.description  # deterministic summary names the produced colour
    assert relabel_arc(TASK, a).skill.description == r.skill.description


def test_degenerate_filter_cases():
    ins = [e.input for e in TASK.train] + TASK.test_inputs
    assert degenerate_reason(TASK, att([None, None], [None], error="boom")) == "error"
    assert "valid grid" in degenerate_reason(TASK, att([[[1, 2], [3]], [[0]]], [[[0]]]))
    assert "valid grid" in degenerate_reason(TASK, att([[[10]], [[0]]], [[[0]]]))
    assert "valid grid" in degenerate_reason(TASK, att([[[0] * 31], [[0]]], [[[0]]]))
    assert degenerate_reason(TASK, att(ins[:2], ins[2:])) == "identity on every input"
    assert degenerate_reason(TASK, att([[[5]], [[5]]], [[[5]]])) == "constant output"
    long_line = "def transform(g):\n    x = '" + "a" * 250 + "'\n    return [[3]]"
    assert "longer" in degenerate_reason(TASK, att([[[3]], [[4]]], [[[5]]], code=long_line))
    hard = "def transform(g):\n    return [[7, 7], [7, 8]]"
    assert "hard-coded" in degenerate_reason(TASK, att([[[7, 7], [7, 8]], [[0]]], [[[1]]], code=hard))


def test_generic_behaviour_relabel():
    t = Task(id="c1", kind="code", instruction="sort a list")
    r = relabel_behaviour(t, "def f(x): return x", [([3, 1], [3, 1])], attempt_id="x")
    assert r and "Produce the observed behaviour" in r.skill.description and r.skill.source == "hindsight"
    assert relabel_behaviour(t, "pass", []) is None
