"""Cyclic garbage collection paused for the length of a search.

A search allocates millions of small containers (steps, frames, cache keys) and keeps many of them
in its step cache, so CPython's automatic collector runs every few hundred allocations and walks a
heap that keeps growing: a large share of a search's time (measured in the README's "Search speed").
Almost nothing a search makes is a reference cycle; the exception is the traceback of a primitive
that raised. So a search turns automatic collection off and collects the young generations itself
every `COLLECT_EVERY` programs (`Engine.evaluate`), which frees those cycles while they are young.

The pause is process-wide and counted: searches running at once in several threads share one pause,
and automatic collection resumes when the last of them ends, and only if it was on when the first
began. `MECHACODER_SOAR_GC_PAUSE=0` leaves the collector alone (the search-speed benchmark's
"nopause" engine).
"""
from __future__ import annotations

import gc
import os
import threading
from contextlib import contextmanager
from typing import Iterator

COLLECT_EVERY = 10_000    # programs evaluated between two collections of the young generations
ENABLED = os.environ.get("MECHACODER_SOAR_GC_PAUSE", "1") != "0"

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def paused_gc() -> Iterator[None]:
    """Automatic cyclic collection off inside the block (see the module docstring)."""
    global _depth, _was_enabled
    if not ENABLED:
        yield
        return
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()


def collect_young() -> None:
    """Collect generations 0 and 1: the cycles made since the last collection."""
    gc.collect(1)
