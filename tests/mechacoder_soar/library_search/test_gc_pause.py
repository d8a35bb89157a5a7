"""The search pauses automatic cyclic garbage collection while it runs, for every thread running one,
and restores it after, as it was."""
from __future__ import annotations

import gc
import threading

from mechacoder_soar.library_search.gc_pause import paused_gc
from mechacoder_soar.library_search.search import SearchConfig, search


def test_collection_is_off_inside_and_restored_after():
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():   # nested: still off
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_it_stays_off_when_it_was_off_before():
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_searches_in_threads_resume_collection_once_the_last_ends():
    entered, release = threading.Barrier(3), threading.Event()
    seen = []

    def worker():
        with paused_gc():
            entered.wait()
            release.wait()
        seen.append(gc.isenabled())

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    entered.wait()
    assert not gc.isenabled()
    release.set()
    for t in threads:
        t.join()
    assert gc.isenabled()


def test_a_search_runs_with_collection_paused_and_leaves_it_on(monkeypatch):
    states = []
    from mechacoder_soar.library_search import engine

    real = engine.Engine.evaluate

    def spy(self, *args):
        states.append(gc.isenabled())
        return real(self, *args)

    monkeypatch.setattr(engine.Engine, "evaluate", spy)
    res = search([([[1, 2]], [[2, 1]])], [[[3, 4]]], SearchConfig(budget=50, stop_after_solutions=0))
    assert res.n_evaluated == 50 and states and not any(states)
    assert gc.isenabled()


def test_the_young_generations_are_collected_every_so_many_programs(monkeypatch):
    """Cycles a search does make (tracebacks of failing primitives) are freed while it runs."""
    from mechacoder_soar.library_search import engine

    calls = []
    monkeypatch.setattr(engine, "COLLECT_EVERY", 10)
    monkeypatch.setattr(engine, "collect_young", lambda: calls.append(1))
    search([([[1, 2]], [[2, 1]])], [[[3, 4]]], SearchConfig(budget=50, stop_after_solutions=0))
    assert len(calls) == 5


def test_switched_off_by_the_environment_it_leaves_the_collector_alone(monkeypatch):
    from mechacoder_soar.library_search import gc_pause

    monkeypatch.setattr(gc_pause, "ENABLED", False)
    with paused_gc():
        assert gc.isenabled()
