"""Scoring, plus real arc1-train tasks solved by programs we know to be right (found by checking
flip/rotation/colour-map candidates against every pair), run through the sandbox."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mechacoder_soar.arc import load_task, pass_at_2, score_outputs
from mechacoder_soar.arc.evaluate import evaluate_programs
from mechacoder_soar.executor import ExecConfig, Executor

SOLUTIONS = {
    "67a3c6ac": "import numpy as np\ndef transform(grid):\n    return np.fliplr(np.array(grid))\n",
    "68b16354": "def transform(grid):\n    return grid[::-1]\n",
    "3c9b0459": "import numpy as np\ndef transform(grid):\n    return np.rot90(np.array(grid), 2).tolist()\n",
    "74dd1130": "def transform(grid):\n    return [list(r) for r in zip(*grid)]\n",
    "0d3d703e": "M = {3: 4, 1: 5, 2: 6, 8: 9, 5: 1, 6: 2, 9: 8, 4: 3}\ndef transform(grid):\n    return [[M.get(c, c) for c in r] for r in grid]\n",
    "9172f3a0": "import numpy as np\ndef transform(grid):\n    return np.kron(np.array(grid), np.ones((3, 3), dtype=int))\n",
    "6d0aefbc": "def transform(grid):\n    return [r + r[::-1] for r in grid]\n",
    "c8f0f002": "def transform(grid):\n    return [[5 if c == 7 else c for c in r] for r in grid]\n",
}
WRONG = "def transform(grid):\n    return grid\n"
BROKEN = "def transform(grid):\n    return grid[100]\n"


@pytest.fixture(scope="module")
def ex():
    with Executor(ExecConfig(workers=2, timeout_s=2.0)) as e:
        yield e


@pytest.mark.parametrize("task_id", sorted(SOLUTIONS))
def test_known_solutions_solve_real_tasks(ex, task_id):
    task = load_task("arc1-train", task_id)
    (res, score), (wres, wscore), (bres, bscore) = evaluate_programs(ex, task, [SOLUTIONS[task_id], WRONG, BROKEN])
    assert res.ok, res
    assert score.train_accuracy == 1.0 and score.fully_correct
    assert score.test_correct == [True] * len(task.test_inputs)
    assert score.pixel_accuracy == 1.0
    assert wscore.train_accuracy < 1.0 and wscore.test_correct != [True] * len(task.test_inputs)
    assert bscore.train_accuracy == 0.0 and all(e and "IndexError" in e for e in bres.errors)


def test_a_solution_is_wrong_on_another_task(ex):
    task = load_task("arc1-train", "68b16354")
    ((_, score),) = evaluate_programs(ex, task, [SOLUTIONS["67a3c6ac"]])
    assert score.train_accuracy == 0.0 and 0.0 < score.pixel_accuracy < 1.0


def test_score_outputs_and_pass_at_2():
    task = load_task("arc1-train", "68b16354")
    right = [ex.output for ex in task.train]
    s = score_outputs(task, [right[0], None] + right[2:], task.test_outputs)
    assert s.train_correct == [True, False] + [True] * (len(right) - 2)
    assert s.train_accuracy == pytest.approx((len(right) - 1) / len(right))
    assert s.test_correct == [True]
    assert score_outputs(task.public(), right, [[[0]]]).test_correct is None
    assert pass_at_2(task, [[[[0]]], task.test_outputs]) is True
    assert pass_at_2(task, [[[[0]]], [None]]) is False
    with pytest.raises(ValueError, match="no test outputs"):
        pass_at_2(task.public(), [[[[0]]]])
    with pytest.raises(ValueError, match="train outputs"):
        score_outputs(task, [None])


def test_cli_exec(tmp_path):
    import typer

    from mechacoder_soar.cli.exec_cmd import register

    app = typer.Typer()
    register(app)

    @app.command("noop")
    def _noop() -> None:  # a second command keeps `exec` a subcommand
        pass

    prog = tmp_path / "p.py"
    prog.write_text(SOLUTIONS["67a3c6ac"])
    r = CliRunner().invoke(app, ["exec", "--suite", "arc1-train", "--task", "67a3c6ac", str(prog), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["train_accuracy"] == 1.0 and out["test_correct"] == [True] and out["errors"] == []
    prog.write_text(BROKEN)
    r = CliRunner().invoke(app, ["exec", "--suite", "arc1-train", "--task", "67a3c6ac", str(prog)])
    assert r.exit_code == 0 and "train accuracy: 0.000" in r.output and "IndexError" in r.output
    r = CliRunner().invoke(app, ["exec", "--suite", "arc1-train", "--task", "nope", str(prog)])
    assert r.exit_code == 2 and "nope" in r.output
    # an eval task is held out for the final table, however it is reached
    from mechacoder_soar.arc import list_task_ids

    ev = list_task_ids("arc1-eval")[0]
    r = CliRunner().invoke(app, ["exec", "--suite", "arc1-eval", "--task", ev, str(prog)])
    assert r.exit_code == 2 and "held-out eval suite" in r.output
    reused = sorted(set(list_task_ids("arc2-train")) & set(list_task_ids("arc1-eval")))[0]
    r = CliRunner().invoke(app, ["exec", "--suite", "arc2-train", "--task", reused, str(prog)])
    assert r.exit_code == 2 and "held-out eval suite" in r.output
