"""The typed seams hold: the library implementations satisfy the protocols the engines are
written against, and the records the engines produce have exactly their TypedDicts' keys."""
from __future__ import annotations

import json
import typing

import pytest

from mechacoder_soar.config import RunConfig
from mechacoder_soar.curriculum import NamespaceView
from mechacoder_soar.distributed.library_snapshot import LibrarySnapshot, ReadOnlyLibraryError
from mechacoder_soar.library import Library, LibraryReader
from mechacoder_soar.library_search.config import SearchConfig
from mechacoder_soar.results import IterationRow, TaskScore, TaskSummary

pytestmark = pytest.mark.store_backends("embedded")


def _keys(td) -> set[str]:
    return set(typing.get_type_hints(td))


def test_store_snapshot_and_view_implement_the_library_protocols(store):
    store.add([{"code": "def transform(g):\n    return g", "description": "identity", "kind": "arc"}])
    assert isinstance(store, Library)
    snap = LibrarySnapshot.of(store)
    assert isinstance(snap, Library) and snap.count() == store.count()
    with pytest.raises(ReadOnlyLibraryError):
        snap.add([])
    view = NamespaceView(store, store.namespace)
    assert isinstance(view, LibraryReader) and not isinstance(view, Library)
    assert [h.skill.id for h in view.retrieve_for_refinement("identity", "wrong colours", 1)] == \
        [h.skill.id for h in store.retrieve_for_refinement("identity", "wrong colours", 1)]
    assert not isinstance(object(), LibraryReader)


def test_a_run_writes_the_typed_records(tmp_path, store):
    """search_task's summaries and metrics.json's rows carry exactly the declared keys."""
    from graphs.runner import run_loop

    events: dict[str, list] = {"task": [], "iteration": []}
    cfg = RunConfig(suite="arc1-train", task_ids=["68b16354"], iterations=1, budget_sample=2, budget_refine=1,
                    run_dir=str(tmp_path / "run"), concurrency=1, workers=1,
                    search=SearchConfig(budget=200))
    metrics = run_loop(cfg, library=store, on_event=lambda k, d: events.get(k, []).append(d))
    assert [set(s) for s in events["task"]] == [_keys(TaskSummary)]
    row = json.loads((tmp_path / "run" / "metrics.json").read_text())["iterations"][0]
    assert set(row) == _keys(IterationRow) and set(row["per_task"][0]) == _keys(TaskScore)
    assert row == metrics["iterations"][0] and events["iteration"][0]["per_task"] == row["per_task"]
    # the scorer reads test outputs into its row, never back into the search summaries (graph state)
    assert "test_pass_at_2" not in events["task"][0]
