"""Coalescer: merge concurrent calls of a batch function into one call (group commit).

A server runs many requests at once on few cores. Some of their work costs nearly the same for one
item as for eight: a MiniLM forward pass, and above all a Chroma `add`. Calls that arrive while
such a call is running wait and are then served together by one call.

Leader/follower, no background thread: whoever finds the function idle takes everything pending,
runs it (once per key: e.g. per namespace) and hands each caller its slice of the results; the
others wait for theirs. A caller alone never waits, so single-threaded use costs nothing.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Coalescer(Generic[T, R]):
    """`fn(key, items)` must return one result per item, in order. If it raises, every caller
    whose items were in that call gets the exception; other keys' callers are unaffected."""

    def __init__(self, fn: Callable[[Hashable, list[T]], Sequence[R]]):
        self.fn = fn
        self._cv = threading.Condition()
        self._pending: list[_Slot] = []
        self._busy = False

    def run(self, key: Hashable, items: list[T]) -> list[R]:
        slot = _Slot(key, list(items))
        with self._cv:
            self._pending.append(slot)
            while not slot.done:
                if self._busy:
                    self._cv.wait()
                    continue
                self._busy = True
                batch, self._pending = self._pending, []
                self._cv.release()
                try:
                    self._serve(batch)
                finally:
                    self._cv.acquire()
                    for sl in batch:
                        if sl.result is None and sl.error is None:  # _serve itself failed
                            sl.error = RuntimeError("the coalesced call did not complete")
                        sl.done = True
                    self._busy = False
                    self._cv.notify_all()
        if slot.result is None:  # the call failed: every slot of it carries the error
            raise slot.error or RuntimeError("the coalesced call did not complete")
        return slot.result

    def _serve(self, batch: list["_Slot"]) -> None:
        groups: dict[Hashable, list[_Slot]] = {}
        for sl in batch:
            groups.setdefault(sl.key, []).append(sl)
        for key, slots in groups.items():
            flat = [x for sl in slots for x in sl.items]
            try:
                out, err = list(self.fn(key, flat)), None
                if len(out) != len(flat):
                    raise RuntimeError(f"coalesced function returned {len(out)} results for {len(flat)} items")
            except BaseException as e:  # noqa: BLE001 - handed to every caller of this group
                out, err = [], e
            i = 0
            for sl in slots:
                sl.result = out[i : i + len(sl.items)] if err is None else None
                sl.error = err
                i += len(sl.items)


class _Slot:
    __slots__ = ("key", "items", "result", "error", "done")

    def __init__(self, key: Hashable, items: list[Any]):
        self.key = key
        self.items = items
        self.result: list[Any] | None = None
        self.error: BaseException | None = None
        self.done = False
