"""What a trial left behind under the task's WORKDIR, for hindsight relabelling.

`snapshot` records every entry (file digest, mode, size; directories; symlink targets) before the
attempt and after it; `diff_end_state` keeps what the attempt created, changed or deleted, plus
the last lines the attempt printed. `summarise_end_state` turns that into a deterministic text,
usable as the description of a relabelled task: "bring the system to the observed end state".
"""
from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import Any

MAX_ENTRIES = 2000
MAX_HASH_BYTES = 64 * 1024 * 1024
KEY_LINES = 10


def _entry(p: Path) -> dict[str, Any]:
    st = p.lstat()
    mode = f"{stat.S_IMODE(st.st_mode):04o}"
    if stat.S_ISLNK(st.st_mode):
        return {"type": "symlink", "target": os.readlink(p), "mode": mode}
    if stat.S_ISDIR(st.st_mode):
        return {"type": "dir", "mode": mode}
    if not stat.S_ISREG(st.st_mode):
        return {"type": "other", "mode": mode}
    h = hashlib.sha256()
    try:
        with open(p, "rb") as f:
            remaining = MAX_HASH_BYTES
            while remaining > 0:
                chunk = f.read(min(1 << 20, remaining))
                if not chunk:
                    break
                h.update(chunk)
                remaining -= len(chunk)
        digest = h.hexdigest()
    except OSError:
        digest = "unreadable"
    return {"type": "file", "sha256": digest, "size": st.st_size, "mode": mode}


def snapshot(root: Path) -> dict[str, dict[str, Any]]:
    """Relative path -> entry, for everything under root (not following symlinks), bounded."""
    out: dict[str, dict[str, Any]] = {}
    if not root.exists():
        return out
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(dirnames) + sorted(filenames):
            p = Path(dirpath) / name
            rel = p.relative_to(root).as_posix()
            try:
                out[rel] = _entry(p)
            except OSError:
                continue
            if len(out) >= MAX_ENTRIES:
                return out
    return out


def diff_end_state(before: dict, after: dict, workdir: str, script_output: str = "") -> dict[str, Any]:
    created = {k: v for k, v in after.items() if k not in before}
    changed = {k: v for k, v in after.items() if k in before and before[k] != v}
    deleted = sorted(k for k in before if k not in after)
    lines = [ln.rstrip() for ln in script_output.splitlines() if ln.strip()]
    return {
        "workdir": workdir,
        "created": dict(sorted(created.items())),
        "changed": dict(sorted(changed.items())),
        "deleted": deleted,
        "stdout_tail": lines[-KEY_LINES:],
        "truncated": len(after) >= MAX_ENTRIES,
    }


def _describe(path: str, e: dict[str, Any]) -> str:
    t = e.get("type")
    if t == "file":
        return f"{path} (file, {e.get('size', 0)} bytes, mode {e.get('mode')}, sha256 {e.get('sha256', '')[:16]})"
    if t == "symlink":
        return f"{path} (symlink -> {e.get('target')})"
    if t == "dir":
        return f"{path}/ (directory, mode {e.get('mode')})"
    return f"{path} ({t})"


def summarise_end_state(end_state: dict[str, Any]) -> str:
    """Deterministic text: same end state, same words (sorted, no timings)."""
    if not end_state:
        return "No end state was recorded."
    wd = end_state.get("workdir", "/app").rstrip("/") or "/"
    out = [f"Bring the system to this end state under {wd}:"]
    created = end_state.get("created") or {}
    changed = end_state.get("changed") or {}
    deleted = end_state.get("deleted") or []
    if created:
        out.append("Created:")
        out += [f"  - {wd}/{_describe(k, v)}" for k, v in sorted(created.items())]
    if changed:
        out.append("Changed:")
        out += [f"  - {wd}/{_describe(k, v)}" for k, v in sorted(changed.items())]
    if deleted:
        out.append("Deleted:")
        out += [f"  - {wd}/{k}" for k in sorted(deleted)]
    if not (created or changed or deleted):
        out.append("  (no file under the working directory changed)")
    tail = end_state.get("stdout_tail") or []
    if tail:
        out.append("Last lines printed:")
        out += [f"  | {ln}" for ln in tail]
    return "\n".join(out)
