"""Write distillation rows as a versioned dataset directory:

    DIR/manifest.json        format + version, prompt version, counts per split/kind/bin, val tasks
    DIR/train.jsonl          one SFTExample per line
    DIR/validation.jsonl
    DIR/hf/                  the same as a `datasets.DatasetDict` (save_to_disk), if `datasets` is installed

The validation split holds out whole tasks (a task's rows never straddle splits), chosen by a
hash of the task id so adding tasks later does not reshuffle existing ones.
"""
from __future__ import annotations

import hashlib
import json
import math
import time
from collections import Counter
from pathlib import Path

from ..proposers.prompts import PROMPT_VERSION
from .examples import SFTExample

DATASET_FORMAT = "mechacoder-soar-sft"
DATASET_VERSION = 1
SPLITS = ("train", "validation")


def _task_rank(task_id: str) -> str:
    return hashlib.sha256(task_id.encode()).hexdigest()


def split_by_task(examples: list[SFTExample], val_fraction: float) -> tuple[list[SFTExample], list[SFTExample]]:
    if not 0 <= val_fraction < 1:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    tasks = sorted({e.task_id for e in examples}, key=_task_rank)
    n_val = math.ceil(val_fraction * len(tasks)) if val_fraction > 0 else 0
    if len(tasks) >= 2:
        n_val = min(n_val, len(tasks) - 1)  # keep at least one training task
    else:
        n_val = 0
    val_tasks = set(tasks[:n_val])
    return [e for e in examples if e.task_id not in val_tasks], [e for e in examples if e.task_id in val_tasks]


def export_dataset(examples: list[SFTExample], out_dir: str | Path, val_fraction: float = 0.1) -> dict:
    """Write the dataset; returns the manifest. Refuses to overwrite a directory holding a
    dataset of another format, and refuses an empty example list."""
    if not examples:
        raise ValueError("no examples to export (no solved/hindsight skills with meta['task_json']?)")
    out = Path(out_dir)
    if (out / "manifest.json").exists():
        old = json.loads((out / "manifest.json").read_text())
        if old.get("format") != DATASET_FORMAT:
            raise ValueError(f"{out} holds something else ({old.get('format')!r}); choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    train, val = split_by_task(examples, val_fraction)
    digest = hashlib.sha256()
    for name, rows in zip(SPLITS, (train, val)):
        with open(out / f"{name}.jsonl", "w") as f:
            for r in rows:
                line = json.dumps(r.to_json(), ensure_ascii=False, separators=(",", ":"))
                digest.update(line.encode())
                f.write(line + "\n")
    manifest = {
        "format": DATASET_FORMAT,
        "format_version": DATASET_VERSION,
        "prompt_version": PROMPT_VERSION,
        "created_at": time.time(),
        "content_sha256": digest.hexdigest(),
        "val_fraction": val_fraction,
        "counts": {
            name: {"rows": len(rows), "tasks": len({r.task_id for r in rows}),
                   "kind": dict(Counter(r.kind for r in rows)),
                   "bin": dict(Counter(r.bin for r in rows if r.bin is not None))}
            for name, rows in zip(SPLITS, (train, val))
        },
        "validation_tasks": sorted({r.task_id for r in val}),
        "hf_dataset": _write_hf(out, train, val),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return manifest


def _write_hf(out: Path, train: list[SFTExample], val: list[SFTExample]) -> str | None:
    try:
        import datasets
    except ImportError:
        return None

    def as_columns(rows: list[SFTExample]) -> dict:
        # messages/meta as JSON strings: Arrow needs one schema, and meta is free-form
        return {
            "messages": [json.dumps(r.messages, ensure_ascii=False) for r in rows],
            "response": [r.response for r in rows],
            "task_id": [r.task_id for r in rows],
            "kind": [r.kind for r in rows],
            "bin": [r.bin for r in rows],
            "meta": [json.dumps(r.meta, ensure_ascii=False) for r in rows],
        }

    features = datasets.Features({k: datasets.Value("string") for k in ("messages", "response", "task_id", "kind", "bin", "meta")})
    dd = datasets.DatasetDict({name: datasets.Dataset.from_dict(as_columns(rows), features=features)
                               for name, rows in zip(SPLITS, (train, val))})
    dd.save_to_disk(str(out / "hf"))
    return "hf"


def load_split(data_dir: str | Path, split: str) -> list[SFTExample]:
    d = Path(data_dir)
    manifest_path = d / "manifest.json"
    if not manifest_path.exists():
        raise FileNotFoundError(f"{d} is not an exported dataset (no manifest.json); run `soar distill export` first")
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("format") != DATASET_FORMAT:
        raise ValueError(f"{d}: unknown dataset format {manifest.get('format')!r}")
    if manifest.get("format_version", 0) > DATASET_VERSION:
        raise ValueError(f"{d}: dataset format version {manifest['format_version']} is newer than this code ({DATASET_VERSION})")
    if manifest.get("prompt_version") != PROMPT_VERSION:
        # training on other prompts than inference uses is the mistake this module exists to avoid
        raise ValueError(
            f"{d}: exported with prompt version {manifest.get('prompt_version')}, this code uses {PROMPT_VERSION}; re-export"
        )
    path = d / f"{split}.jsonl"
    if not path.exists():
        return []
    return [SFTExample.from_json(json.loads(line)) for line in path.read_text().splitlines() if line.strip()]
