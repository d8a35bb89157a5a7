"""Cyclic garbage collection paused for the length of a search.

A search allocates millions of small containers (steps, frames, cache keys) and keeps many of them
in its step cache, so CPython's automatic collector runs every few hundred allocations and walks a
heap that keeps growing: a large share of a search's time (measured in the README's "Search speed").
A search makes no reference cycles (its objects are freed by reference counting; a test holds it
to that), so nothing needs collecting until it ends: even an occasional collection of the young
generations walks every container made since the last one, to free nothing.

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
