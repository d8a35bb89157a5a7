"""ARC environment: programs `transform(grid) -> grid` run in the sandboxed executor pool."""
from __future__ import annotations

import numpy as np

from ..describe import describe_arc
from ..domain import Attempt, Task
from ..hindsight import Relabelled, relabel_arc
from .base import Evaluation


def diagnose(task: Task, attempt: Attempt) -> str:
    """Error pattern of an attempt, in words a retrieval query and a proposer can use."""
    if attempt.error:
        return f"error: {attempt.error.splitlines()[-1][:200] if attempt.error.strip() else 'crash'}"
    shapes, colours, pixels = 0, 0, 0
    n = 0
    for ex, out, ok in zip(task.train, attempt.train_outputs, attempt.train_correct):
        if ok or out is None:
            continue
        n += 1
        o, e = np.asarray(out), np.asarray(ex.output)
        if o.shape != e.shape:
            shapes += 1
        elif set(np.unique(o).tolist()) != set(np.unique(e).tolist()):
            colours += 1
        else:
            pixels += 1
    if n == 0:
        return "all train pairs correct"
    if shapes:
        return "wrong output shape"
    if colours:
        return "right shape, wrong colours"
    return "right shape and colours, some cells wrong"


class ArcEnvironment:
    kind = "arc"

    def __init__(self, executor):
        self.executor = executor

    def evaluate(self, task: Task, codes: list[str]) -> list[Evaluation]:
        from ..arc.evaluate import evaluate_programs

        assert task.test_outputs is None, "environments only see public tasks"
        n = len(task.train)
        out = []
        for res, score in evaluate_programs(self.executor, task, codes):
            outs = list(res.outputs)
            err = res.error
            if err is None and res.errors and all(e is not None for e in res.errors):
                err = next(e for e in res.errors if e)
            out.append(Evaluation(
                train_outputs=outs[:n], train_correct=list(score.train_correct),
                train_accuracy=float(score.train_accuracy), test_outputs=outs[n:], error=err,
                runtime_s=float(res.runtime_s), pixel_accuracy=score.pixel_accuracy,
            ))
        return out

    def describe(self, task: Task) -> str:
        return describe_arc([(e.input, e.output) for e in task.train], task.test_inputs)

    def feedback(self, task: Task, attempt: Attempt) -> str:
        right = sum(attempt.train_correct)
        return f"{diagnose(task, attempt)}; {right}/{len(task.train)} train pairs right"

    def relabel(self, task: Task, attempt: Attempt, iteration: int) -> Relabelled | None:
        return relabel_arc(task, attempt, iteration=iteration)

    def close(self) -> None:
        pass
