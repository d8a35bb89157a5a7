"""Frames on the pipes between parent, zygote and executor: 4-byte big-endian length + UTF-8 JSON.
JSON, not pickle, because the parent must never unpickle bytes produced by untrusted code."""
from __future__ import annotations

import json
import os
import struct

HEADER = struct.Struct(">I")
MAX_FRAME = 256 * 1024 * 1024


def encode_frame(obj) -> bytes:
    data = json.dumps(obj, separators=(",", ":")).encode()
    return HEADER.pack(len(data)) + data


def read_exact(fd: int, n: int) -> bytes | None:
    chunks = []
    while n:
        b = os.read(fd, min(n, 1 << 20))
        if not b:
            return None
        chunks.append(b)
        n -= len(b)
    return b"".join(chunks)


def read_frame(fd: int):
    h = read_exact(fd, 4)
    if h is None:
        return None
    (n,) = HEADER.unpack(h)
    if n > MAX_FRAME:
        raise ValueError(f"frame of {n} bytes exceeds limit")
    body = read_exact(fd, n)
    if body is None:
        return None
    return json.loads(body)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]
