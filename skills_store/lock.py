"""One process owns a store directory.

Embedded Chroma is single-writer: two processes opening one directory corrupt its index
(chroma#7040). An advisory `flock` on `<dir>/.soar.lock` is held for the store's lifetime; the
kernel drops it if the owner dies, so a crashed owner never leaves a stale lock behind.
"""
from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from pathlib import Path

from .errors import StoreLockedError


class DirectoryLock:
    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.path = self.directory / ".soar.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                holder = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
            except (ValueError, OSError):
                holder = {}
            os.close(fd)
            who = f"pid {holder.get('pid', '?')} ({holder.get('cmd', '?')})" if holder else "another process"
            raise StoreLockedError(
                f"store {self.directory} is in use by {who}: embedded Chroma allows one process per "
                "directory. Stop that process, or talk to it through its server "
                "(`soar serve http|mcp --store ...`)."
            ) from None
        info = json.dumps({"pid": os.getpid(), "cmd": " ".join(sys.argv)[:200], "since": time.time()})
        os.ftruncate(fd, 0)
        os.pwrite(fd, info.encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, 0)
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            finally:
                os.close(self._fd)
                self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None
