"""LoRA fine-tuning on an exported dataset: a plain torch loop (no Trainer), loss on the response
tokens only, cosine schedule with warm-up, validation loss per epoch, resumable checkpoints.

Presets: SOAR's (rsLoRA r=256, alpha=32, all attention and MLP projections, lr 5e-5, 3 epochs,
cosine, 10% warm-up; a GPU recipe) and a CPU one (r=8, alpha=16, lr 2e-4: a small rank needs a
larger step to move in a few hundred steps). bf16 weights on CUDA, fp32 on CPU.

Output DIR is a standard peft adapter (adapter_config.json + adapter_model.safetensors), plus
training_summary.json; DIR/checkpoint/ holds the latest resumable state while training.
"""
from __future__ import annotations

import json
import math
import random
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from ..models.loader import check_device, torch_dtype
from ..models.smollm2 import PACKAGED_NAME, resolve_base_model
from .export import load_split
from .tokenize import IGNORE_INDEX, TokenizedExample, collate, tokenize_example

ALL_PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
SMOLLM2_HF_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
CHECKPOINT = "checkpoint"
STATE_FILE = "trainer_state.pt"


@dataclass
class LoraSettings:
    r: int = 8
    alpha: int = 16
    dropout: float = 0.05
    use_rslora: bool = False
    targets: tuple[str, ...] = ALL_PROJECTIONS


@dataclass
class TrainConfig:
    data_dir: Path
    out_dir: Path
    base_model: str = PACKAGED_NAME
    lora: LoraSettings = field(default_factory=LoraSettings)
    lr: float = 2e-4
    epochs: int = 3
    max_steps: int | None = None  # optimiser steps; overrides epochs when set
    batch_size: int = 4
    grad_accum: int = 1
    warmup_ratio: float = 0.1
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    max_seq_len: int = 2048
    device: str = "cpu"
    seed: int = 0
    save_every: int = 50  # optimiser steps between checkpoints (0: only at epoch ends)
    resume: bool = True
    progress: bool = True

    def __post_init__(self) -> None:
        self.data_dir, self.out_dir = Path(self.data_dir), Path(self.out_dir)
        for name in ("epochs", "batch_size", "grad_accum", "max_seq_len"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.max_steps is not None and self.max_steps < 1:
            raise ValueError(f"max_steps must be >= 1, got {self.max_steps}")
        if not 0 <= self.warmup_ratio < 1:
            raise ValueError(f"warmup_ratio must be in [0, 1), got {self.warmup_ratio}")
        if self.lr <= 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")


def soar_preset(data_dir: Path, out_dir: Path, **kw) -> TrainConfig:
    """SOAR's published LoRA recipe (GPU-sized)."""
    return TrainConfig(data_dir=data_dir, out_dir=out_dir, lora=LoraSettings(r=256, alpha=32, use_rslora=True, dropout=0.0),
                       lr=5e-5, epochs=3, warmup_ratio=0.1, **kw)


def cpu_preset(data_dir: Path, out_dir: Path, **kw) -> TrainConfig:
    return TrainConfig(data_dir=data_dir, out_dir=out_dir, **kw)


@dataclass
class TrainResult:
    adapter_dir: str
    steps: int
    epochs_completed: int
    train_losses: list[float]
    val_losses: list[float]
    n_train: int
    n_val: int
    dropped_too_long: int
    seconds: float
    s_per_step: float
    examples_per_s: float
    resumed_from_step: int = 0


def load_base(base_model: str, device: str, dtype: str | None = None):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = resolve_base_model(base_model)
    try:
        tok = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch_dtype(dtype, device))
    except OSError as e:
        raise FileNotFoundError(f"cannot load base model {base_model!r} locally (no downloads are made): {e}") from e
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok, model.to(device)


def evaluate_loss(model, rows: list[TokenizedExample], batch_size: int, pad_id: int, device: str) -> float:
    """Mean loss per response token (token-weighted across batches)."""
    import torch

    if not rows:
        return float("nan")
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad(), _autocast(device):
        for i in range(0, len(rows), batch_size):
            batch = {k: v.to(device) for k, v in collate(rows[i : i + batch_size], pad_id).items()}
            n = int((batch["labels"][:, 1:] != IGNORE_INDEX).sum())
            total += float(model(**batch).loss) * n
            count += n
    model.train(was_training)
    return total / max(count, 1)


def _autocast(device: str):
    import contextlib

    import torch

    if device.startswith("cuda"):
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _tokenize_all(tok, examples, max_len: int) -> tuple[list[TokenizedExample], int]:
    rows, dropped = [], 0
    for ex in examples:
        t = tokenize_example(tok, ex, max_len)
        if t is None:
            dropped += 1
        else:
            rows.append(t)
    return rows, dropped


def _save_checkpoint(model, optimizer, scheduler, state: dict, out_dir: Path) -> None:
    """Write to a temporary sibling and rename: a crash mid-save leaves the previous checkpoint."""
    import torch

    tmp = out_dir / (CHECKPOINT + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    model.save_pretrained(tmp)
    torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                "torch_rng": torch.get_rng_state(), **state}, tmp / STATE_FILE)
    final = out_dir / CHECKPOINT
    if final.exists():
        shutil.rmtree(final)
    tmp.rename(final)


def train_lora(cfg: TrainConfig, on_step: Callable[[int, float], None] | None = None) -> TrainResult:
    import torch
    from peft import LoraConfig, PeftModel, get_peft_model
    from transformers import get_cosine_schedule_with_warmup

    check_device(cfg.device)
    train_ex = load_split(cfg.data_dir, "train")
    val_ex = load_split(cfg.data_dir, "validation")
    if not train_ex:
        raise ValueError(f"{cfg.data_dir} has no training rows")
    random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)

    tok, base = load_base(cfg.base_model, cfg.device)
    train_rows, dropped = _tokenize_all(tok, train_ex, cfg.max_seq_len)
    val_rows, dropped_val = _tokenize_all(tok, val_ex, cfg.max_seq_len)
    if not train_rows:
        raise ValueError(f"every training row is longer than max_seq_len={cfg.max_seq_len}; raise --max-seq-len")

    ckpt = cfg.out_dir / CHECKPOINT
    state: dict = {"global_step": 0, "epoch": 0, "step_in_epoch": 0, "train_losses": [], "val_losses": []}
    if cfg.resume and (ckpt / "adapter_config.json").exists() and (ckpt / STATE_FILE).exists():
        model = PeftModel.from_pretrained(base, str(ckpt), is_trainable=True)
        saved = torch.load(ckpt / STATE_FILE, weights_only=False)
    else:
        lora = LoraConfig(r=cfg.lora.r, lora_alpha=cfg.lora.alpha, lora_dropout=cfg.lora.dropout,
                          use_rslora=cfg.lora.use_rslora, target_modules=list(cfg.lora.targets),
                          task_type="CAUSAL_LM")
        model = get_peft_model(base, lora)
        saved = None
    model.to(cfg.device)

    per_epoch = math.ceil(len(train_rows) / (cfg.batch_size * cfg.grad_accum))
    total = cfg.max_steps if cfg.max_steps is not None else cfg.epochs * per_epoch
    n_epochs = math.ceil(total / per_epoch)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    scheduler = get_cosine_schedule_with_warmup(optimizer, math.ceil(cfg.warmup_ratio * total), total)
    if saved is not None:
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        torch.set_rng_state(saved["torch_rng"])
        state = {k: saved[k] for k in state}
    resumed_from = state["global_step"]
    cfg.out_dir.mkdir(parents=True, exist_ok=True)

    progress = _progress(cfg.progress)
    t0 = time.perf_counter()
    seen = 0
    model.train()
    with progress:
        bar = progress.add_task("LoRA", total=total, completed=state["global_step"], loss=float("nan"))
        while state["global_step"] < total and state["epoch"] < n_epochs:
            # a fixed order per epoch, so a resumed run skips exactly the batches already seen
            order = list(range(len(train_rows)))
            random.Random(cfg.seed + state["epoch"]).shuffle(order)
            batches = [order[i : i + cfg.batch_size] for i in range(0, len(order), cfg.batch_size)]
            steps = [batches[i : i + cfg.grad_accum] for i in range(0, len(batches), cfg.grad_accum)]
            for group in steps[state["step_in_epoch"] :]:
                step_loss, step_tokens = 0.0, 0
                for idx in group:
                    batch = {k: v.to(cfg.device) for k, v in collate([train_rows[i] for i in idx], tok.pad_token_id).items()}
                    n_tok = int((batch["labels"][:, 1:] != IGNORE_INDEX).sum())
                    with _autocast(cfg.device):
                        loss = model(**batch).loss
                    (loss / len(group)).backward()
                    step_loss += float(loss.detach()) * n_tok
                    step_tokens += n_tok
                    seen += len(idx)
                torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                state["global_step"] += 1
                state["step_in_epoch"] += 1
                mean = step_loss / max(step_tokens, 1)
                state["train_losses"].append(mean)
                progress.update(bar, completed=state["global_step"], loss=mean)
                if on_step:
                    on_step(state["global_step"], mean)
                if cfg.save_every and state["global_step"] % cfg.save_every == 0 and state["global_step"] < total:
                    _save_checkpoint(model, optimizer, scheduler, state, cfg.out_dir)
                if state["global_step"] >= total:
                    break
            if state["step_in_epoch"] >= len(steps):
                state["epoch"] += 1
                state["step_in_epoch"] = 0
            if val_rows:
                vl = evaluate_loss(model, val_rows, cfg.batch_size, tok.pad_token_id, cfg.device)
                state["val_losses"].append(vl)
                progress.console.print(f"epoch {state['epoch']}: validation loss {vl:.4f}")
            if state["global_step"] < total:
                _save_checkpoint(model, optimizer, scheduler, state, cfg.out_dir)
    seconds = time.perf_counter() - t0
    model.save_pretrained(cfg.out_dir)
    done_steps = state["global_step"] - resumed_from
    result = TrainResult(
        adapter_dir=str(cfg.out_dir), steps=state["global_step"], epochs_completed=state["epoch"],
        train_losses=state["train_losses"], val_losses=state["val_losses"], n_train=len(train_rows),
        n_val=len(val_rows), dropped_too_long=dropped + dropped_val, seconds=seconds,
        s_per_step=seconds / max(done_steps, 1), examples_per_s=seen / seconds if seconds > 0 else 0.0,
        resumed_from_step=resumed_from,
    )
    summary = {"result": asdict(result),
               # the packaged SmolLM2 is a dequantised Q4_1 copy of this public model (what vLLM serves)
               "hf_base_model": SMOLLM2_HF_ID if cfg.base_model == PACKAGED_NAME else cfg.base_model,
               "config": {**asdict(cfg), "data_dir": str(cfg.data_dir), "out_dir": str(cfg.out_dir)}}
    (cfg.out_dir / "training_summary.json").write_text(json.dumps(summary, indent=2))
    if (cfg.out_dir / CHECKPOINT).exists():
        shutil.rmtree(cfg.out_dir / CHECKPOINT)  # finished: the adapter itself is the result
    return result


def _progress(enabled: bool):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]:.4f}"), TimeElapsedColumn(), TimeRemainingColumn(),
        disable=not enabled,
    )
