"""Compiled twins: numba versions of the DSL's cell-by-cell helpers, for the in-process search.

A primitive's Python body is what a rendered program carries into the sandbox, and it needs
nothing but numpy. The search calls the same primitives hundreds of thousands of times per task,
and a profile puts a large share of its time in a few helpers that walk grids cell by cell
(rays, line joins, symmetric repair, flood fills) where a compiled loop is one to two orders of
magnitude faster than the Python one. Such a helper gets a *twin*: a function of the same
arguments with the same result, written for numba, which the registry binds in place of the
helper when it compiles a primitive's in-process `fn` (`registry.mark_compiled`). The rendered
source never sees a twin. `tests/mechacoder_soar/library_search/test_compiled.py` runs every
primitive with a twin both ways on random grids and every setting its inference proposes.

Twins are used where numba is installed, unless `MECHACODER_SOAR_COMPILED=0` (the search-speed
benchmark's "python primitives" engine): without them the Python helpers run, with the same
results, slower. numba is imported, and each kernel compiled, on first call, so importing the DSL
stays cheap; compiled kernels are cached on disk (`cache=True`), so later processes load them.
"""
from __future__ import annotations

import importlib.util
import os
from typing import Any, Callable

import numpy as np

ENABLED = (os.environ.get("MECHACODER_SOAR_COMPILED", "1") != "0"
           and importlib.util.find_spec("numba") is not None)


class Kernel:
    """A function compiled by `numba.njit` on its first call (nopython mode, cached on disk).

    Once compiled, the module-level name the kernel was defined under is rebound to numba's
    dispatcher, so the twins that call it by that name skip this wrapper (a Python call frame on
    every one of hundreds of thousands of calls per search)."""

    __slots__ = ("py", "_jit")

    def __init__(self, fn: Callable):
        self.py = fn          # the uncompiled function (readable, and runnable without numba)
        self._jit: Any = None

    def __call__(self, *args):
        if self._jit is None:
            import numba   # deferred: importing numba costs most of a second
            try:
                self._jit = numba.njit(cache=True, nogil=True)(self.py)
            except RuntimeError:   # no writable cache location (a read-only install): compile per process
                self._jit = numba.njit(nogil=True)(self.py)
            module = self.py.__globals__
            if module.get(self.py.__name__) is self:
                module[self.py.__name__] = self._jit
        return self._jit(*args)


def kernel(fn: Callable) -> Kernel:
    """Decorator: compile `fn` with numba when it is first called."""
    return Kernel(fn)


def grid_twin(helper: Callable, kern: Kernel, *casts: Callable) -> Callable:
    """The usual twin of a helper taking (grid, *integer settings): `kern` on the grid as
    `kernel_grid` gives it, each setting passed through its cast in `casts` (one per setting, e.g.
    `int` or `bool`: one compiled signature per kernel); `helper` where `kernel_grid` says no."""
    def twin(g, *settings):
        k = kernel_grid(g, *settings)
        if k is None:
            return helper(g, *settings)
        call = kern._jit or kern   # numba's dispatcher once compiled
        return call(k, *[c(s) for c, s in zip(casts, settings)])

    twin.__name__ = f"{helper.__name__}_twin"
    return twin


_INTS = (int, np.integer)   # bool is an int


def plain_ints(*values: Any) -> bool:
    """True when every value is an integer (Python or numpy) or a bool, as inference proposes them.
    A twin falls back to its Python helper otherwise: a hand-written step may pass a float or a
    string, and the Python body's answer to that is the one the sandbox would give."""
    for v in values:   # a loop: this runs on every twin call
        if not isinstance(v, _INTS):
            return False
    return True


def kernel_grid(g: Any, *settings: Any) -> np.ndarray | None:
    """`g` as the C-ordered int64 2-D array every kernel is compiled for (one signature each), or
    None where a twin must fall back to its Python helper: another dtype or rank, or a setting that
    is not an integer (`plain_ints`)."""
    g = np.asarray(g)
    if g.dtype != np.int64 or g.ndim != 2 or not plain_ints(*settings):
        return None
    return np.ascontiguousarray(g)


@kernel
def _count_equal_kernel(a, b):
    n = 0
    for y in range(a.shape[0]):
        for x in range(a.shape[1]):
            n += a[y, x] == b[y, x]
    return n


_INT64 = np.dtype(np.int64)


def count_equal(a: np.ndarray, b: np.ndarray) -> int:
    """The cells where two grids of one shape agree, `np.count_nonzero(a == b)`: by a kernel for
    the int64 grids the search makes (numpy's two calls cost twice its one; the search asks this of
    every setting inference scores and every program it records)."""
    if ENABLED and a.dtype is _INT64 and b.dtype is _INT64 and a.ndim == 2:
        return int(_count_equal_kernel(a, b))   # the dispatcher itself once compiled (see `Kernel`)
    return int(np.count_nonzero(a == b))
