"""The runtime guard: after every program, has anything the next program would see changed?"""
from __future__ import annotations

import os
import sys

from .screen import SAFE_MODULES

class DictWatch:
    """Change detector for one dict. Fast path: CPython 3.11/3.12 keep a per-dict version tag
    (PEP 509) that changes on every mutation; we read it through ctypes. Slow path (tag moved, or
    tags unavailable): identity snapshot of the items. New keys whose value is a module are
    accepted (lazy submodule imports); any rebinding or deletion of an existing key is a change."""

    __slots__ = ("d", "tag", "last", "snap", "label")
    tags_ok = False

    def __init__(self, d: dict, label: str):
        self.d = d
        self.label = label
        self.tag = None
        if DictWatch.tags_ok:
            import ctypes

            self.tag = ctypes.c_uint64.from_address(id(d) + 24)
            self.last = self.tag.value
        self.snap = {k: id(v) for k, v in list(d.items())}

    def changed(self) -> str | None:
        if self.tag is not None and self.tag.value == self.last:
            return None
        import types

        d = self.d
        for k, i in self.snap.items():
            v = d.get(k, _MISSING)
            if v is _MISSING:
                return f"{self.label}: {k!s} deleted"
            if id(v) != i:
                return f"{self.label}: {k!s} rebound"
        if len(d) != len(self.snap):
            for k, v in list(d.items()):
                if k not in self.snap:
                    if not isinstance(v, types.ModuleType):
                        return f"{self.label}: {k!s} added"
                    self.snap[k] = id(v)
        if self.tag is not None:
            self.last = self.tag.value
        return None


_MISSING = object()


def probe_dict_tags() -> bool:
    if sys.implementation.name != "cpython" or sys.version_info[:2] not in ((3, 11), (3, 12)):
        return False
    try:
        import ctypes

        d: dict = {}
        tag = ctypes.c_uint64.from_address(id(d) + 24)
        used = ctypes.c_ssize_t.from_address(id(d) + 16)
        t0 = tag.value
        d["a"] = 1
        t1 = tag.value
        d["a"] = 2
        t2 = tag.value
        return used.value == 1 and t0 != t1 and t1 != t2
    except Exception:
        return False


class Guard:
    def __init__(self, scratch: str):
        import builtins
        import gc
        import threading

        self.scratch = scratch
        self.gc, self.threading = gc, threading
        self.watches: dict[str, DictWatch] = {}
        self._watch(builtins.__dict__, "builtins")
        self.builtins_pristine = dict(builtins.__dict__)
        self.builtins_dirty = False
        self._watch(sys.__dict__, "sys")
        self._watch(sys.modules, "sys.modules")
        self._watch(os.__dict__, "os")
        self.refresh_modules()
        self.recursion = sys.getrecursionlimit()
        self.path = list(sys.path)
        self.meta_path = list(sys.meta_path)
        self.np_err = self._np_err()
        self.threads = threading.active_count()

    def restore_builtins(self) -> None:
        """Undo changes to the real builtins module before *our* code runs again (validation
        uses len/isinstance/...). The executor is retired anyway if anything had changed."""
        w = self.watches["builtins"]
        if w.tag is not None and w.tag.value == w.last:
            return
        d = w.d
        if any(d.get(k, _MISSING) is not v for k, v in self.builtins_pristine.items()) or len(d) != len(self.builtins_pristine):
            self.builtins_dirty = True
            d.clear()
            d.update(self.builtins_pristine)
        if w.tag is not None:
            w.last = w.tag.value

    def _watch(self, d, label):
        if label not in self.watches:
            self.watches[label] = DictWatch(d, label)

    def refresh_modules(self):
        """Watch every imported safe top-level module and numpy's direct submodules."""
        self._nmods = len(sys.modules)
        for name in list(sys.modules):
            top, _, rest = name.partition(".")
            if top in SAFE_MODULES and (not rest or (top == "numpy" and "." not in rest)):
                mod = sys.modules.get(name)
                if mod is not None and isinstance(getattr(mod, "__dict__", None), dict):
                    self._watch(mod.__dict__, name)

    @staticmethod
    def _np_err():
        np = sys.modules.get("numpy")
        return np.geterr() if np is not None else None

    def check(self) -> str | None:
        self.restore_builtins()
        if self.builtins_dirty:
            return "builtins module modified"
        for w in list(self.watches.values()):
            why = w.changed()
            if why:
                return why
        if len(sys.modules) != self._nmods:
            self.refresh_modules()
        if sys.getrecursionlimit() != self.recursion:
            return "recursion limit changed"
        if sys.gettrace() is not None or sys.getprofile() is not None:
            return "trace/profile hook installed"
        if self.threading.active_count() != self.threads:
            return "program left threads running"
        if not self.gc.isenabled():
            return "gc disabled"
        if sys.path != self.path or sys.meta_path != self.meta_path:
            return "import path changed"
        if self.np_err is not None and self._np_err() != self.np_err:
            return "numpy error state changed"
        try:
            if os.getcwd() != self.scratch or os.listdir(self.scratch):
                return "scratch dir changed"
        except OSError:
            return "scratch dir unreadable"
        return None
