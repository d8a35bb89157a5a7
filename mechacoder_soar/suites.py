"""Task suites by name: arc1-train, arc1-eval, arc2-train, arc2-eval, arc:PATH, tb:PATH, tb:builtin."""
from __future__ import annotations

from .domain import Task


def load_tasks(suite: str, limit: int | None = None, task_ids: list[str] | None = None) -> list[Task]:
    if suite.startswith("tb:"):
        from .terminal import load_tb_suite

        tasks = [t.to_task() for t in load_tb_suite(suite[3:])]
        if task_ids:
            known = {t.id: t for t in tasks}
            missing = [i for i in task_ids if i not in known]
            if missing:
                raise ValueError(f"suite {suite!r} has no task(s) {', '.join(missing)}")
            tasks = [known[i] for i in task_ids]
        return tasks[:limit] if limit else tasks
    from .arc import load_suite

    return load_suite(suite, limit=limit, task_ids=task_ids or None)
