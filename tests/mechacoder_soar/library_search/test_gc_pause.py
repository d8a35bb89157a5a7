"""The search pauses automatic cyclic garbage collection while it runs, for every thread running one,
and restores it after, as it was."""
from __future__ import annotations

import gc
import threading
import types

import numpy as np

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


def _ours(obj) -> bool:
    """Whether a garbage object is the search's own: an object of one of our types, or a frame,
    traceback, function or exception of our code (the primitives' code included)."""
    if type(obj).__module__.startswith("mechacoder_soar"):
        return True
    if isinstance(obj, BaseException):
        obj = obj.__traceback__
    if isinstance(obj, types.TracebackType):
        obj = obj.tb_frame
    code = getattr(obj, "f_code", None) or getattr(obj, "__code__", None)
    return code is not None and ("mechacoder_soar" in code.co_filename
                                 or code.co_filename.startswith(("<primitive", "<helper")))


def test_a_search_makes_no_reference_cycles():
    """The pause is safe because a search leaves nothing for the cyclic collector: its objects,
    failing primitives' exceptions included, are all freed by reference counting. (Only the
    search's own objects count: another test's threads may make garbage meanwhile.)"""
    rng = np.random.default_rng(3)
    grids = [rng.integers(0, 4, (7, 6)) * (rng.random((7, 6)) < 0.3) for _ in range(4)]
    grids[1][:] = 0   # no objects at all: every object selector raises on it
    pairs = [(g.tolist(), np.rot90(g).tolist()) for g in grids[:3]]
    cfg = SearchConfig(budget=1500, max_depth=3, stop_after_solutions=0)
    search(pairs, [grids[0].tolist()], cfg)   # first: imports and kernel loading (numba's make classes, once)
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)   # what the collector finds is kept in gc.garbage to look at
    try:
        res = search(pairs, [grids[3].tolist()], cfg)
        gc.collect()
        ours = [o for o in gc.garbage if _ours(o)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert res.n_evaluated == 1500
    assert not ours, f"a search left {len(ours)} of its objects in reference cycles, e.g. {ours[:3]}"


def test_switched_off_by_the_environment_it_leaves_the_collector_alone(monkeypatch):
    from mechacoder_soar.library_search import gc_pause

    monkeypatch.setattr(gc_pause, "ENABLED", False)
    with paused_gc():
        assert gc.isenabled()
