"""LoRA fine-tuning on an exported dataset: a plain torch loop (no Trainer), loss on the response
tokens only, cosine schedule with warm-up, validation loss per epoch, resumable checkpoints.

Presets: SOAR's (rsLoRA r=256, alpha=32, all attention and MLP projections, lr 5e-5, 3 epochs,
cosine, 10% warm-up; a GPU recipe) and a CPU one (r=8, alpha=16, lr 2e-4: a small rank needs a
larger step to move in a few hundred steps). bf16 weights on CUDA, fp32 on CPU.

Laid out peft-style: configuration (`LoraSettings`, `TrainConfig`, the presets), the mechanism as
small steps (`load_data`, `attach_lora`, `plan_steps`, `make_run`, `epoch_steps`, `optimizer_step`,
checkpoints) and `train_lora`, which only orchestrates them.

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
from typing import Any, Callable

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


def _save_checkpoint(run: Run, state: TrainState, out_dir: Path) -> None:
    """Write to a temporary sibling and rename: a crash mid-save leaves the previous checkpoint."""
    import torch

    tmp = out_dir / (CHECKPOINT + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    run.model.save_pretrained(tmp)
    torch.save({"optimizer": run.optimizer.state_dict(), "scheduler": run.scheduler.state_dict(),
                "torch_rng": torch.get_rng_state(), **asdict(state)}, tmp / STATE_FILE)
    final = out_dir / CHECKPOINT
    if final.exists():
        shutil.rmtree(final)
    tmp.rename(final)


# -- state ------------------------------------------------------------------------------------
@dataclass
class TrainState:
    """Where training is; saved with each checkpoint (its fields are the checkpoint's keys)."""
    global_step: int = 0
    epoch: int = 0
    step_in_epoch: int = 0
    train_losses: list[float] = field(default_factory=list)
    val_losses: list[float] = field(default_factory=list)


@dataclass
class TrainData:
    tokenizer: Any
    train_rows: list[TokenizedExample]
    val_rows: list[TokenizedExample]
    dropped_too_long: int


@dataclass
class StepPlan:
    per_epoch: int  # optimiser steps per pass over the training rows
    total: int
    n_epochs: int


@dataclass
class Run:
    """The model being trained and what steps it."""
    model: Any
    params: list
    optimizer: Any
    scheduler: Any


# -- steps ------------------------------------------------------------------------------------
def load_data(cfg: TrainConfig):
    """(tokenized splits, base model). Seeds Python's and torch's RNGs first, so the LoRA weights'
    initialisation and dropout follow `cfg.seed`."""
    import torch

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
    return TrainData(tok, train_rows, val_rows, dropped + dropped_val), base


def plan_steps(cfg: TrainConfig, n_train: int) -> StepPlan:
    per_epoch = math.ceil(n_train / (cfg.batch_size * cfg.grad_accum))
    total = cfg.max_steps if cfg.max_steps is not None else cfg.epochs * per_epoch
    return StepPlan(per_epoch, total, math.ceil(total / per_epoch))


def attach_lora(cfg: TrainConfig, base) -> tuple[Any, dict | None]:
    """The trainable peft model: the checkpoint's adapter when resuming (with its saved state),
    else fresh LoRA weights on `cfg.lora.targets`."""
    import torch
    from peft import LoraConfig, PeftModel, get_peft_model

    ckpt = cfg.out_dir / CHECKPOINT
    if cfg.resume and (ckpt / "adapter_config.json").exists() and (ckpt / STATE_FILE).exists():
        model = PeftModel.from_pretrained(base, str(ckpt), is_trainable=True)
        saved = torch.load(ckpt / STATE_FILE, weights_only=False)
    else:
        lora = LoraConfig(r=cfg.lora.r, lora_alpha=cfg.lora.alpha, lora_dropout=cfg.lora.dropout,
                          use_rslora=cfg.lora.use_rslora, target_modules=list(cfg.lora.targets),
                          task_type="CAUSAL_LM")
        model = get_peft_model(base, lora)
        saved = None
    return model.to(cfg.device), saved


def make_run(cfg: TrainConfig, model, total: int, saved: dict | None) -> tuple[Run, TrainState]:
    """AdamW over the trainable parameters, cosine schedule with warm-up; restored from `saved`."""
    import torch
    from transformers import get_cosine_schedule_with_warmup

    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    scheduler = get_cosine_schedule_with_warmup(optimizer, math.ceil(cfg.warmup_ratio * total), total)
    state = TrainState()
    if saved is not None:
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        torch.set_rng_state(saved["torch_rng"])
        state = TrainState(**{k: saved[k] for k in asdict(state)})
    return Run(model, params, optimizer, scheduler), state


def epoch_steps(cfg: TrainConfig, n_train: int, epoch: int) -> list[list[list[int]]]:
    """The epoch's optimiser steps, each a list of batches of row indices. A fixed order per
    epoch, so a resumed run skips exactly the batches already seen."""
    order = list(range(n_train))
    random.Random(cfg.seed + epoch).shuffle(order)
    batches = [order[i : i + cfg.batch_size] for i in range(0, len(order), cfg.batch_size)]
    return [batches[i : i + cfg.grad_accum] for i in range(0, len(batches), cfg.grad_accum)]


def optimizer_step(run: Run, data: TrainData, group: list[list[int]], cfg: TrainConfig) -> float:
    """Accumulate the group's gradients, clip, step; the mean loss per response token."""
    import torch

    step_loss, step_tokens = 0.0, 0
    for idx in group:
        rows = [data.train_rows[i] for i in idx]
        batch = {k: v.to(cfg.device) for k, v in collate(rows, data.tokenizer.pad_token_id).items()}
        n_tok = int((batch["labels"][:, 1:] != IGNORE_INDEX).sum())
        with _autocast(cfg.device):
            loss = run.model(**batch).loss
        (loss / len(group)).backward()
        step_loss += float(loss.detach()) * n_tok
        step_tokens += n_tok
    torch.nn.utils.clip_grad_norm_(run.params, cfg.max_grad_norm)
    run.optimizer.step()
    run.scheduler.step()
    run.optimizer.zero_grad(set_to_none=True)
    return step_loss / max(step_tokens, 1)


# -- orchestration ----------------------------------------------------------------------------
def train_lora(cfg: TrainConfig, on_step: Callable[[int, float], None] | None = None) -> TrainResult:
    data, base = load_data(cfg)
    model, saved = attach_lora(cfg, base)
    plan = plan_steps(cfg, len(data.train_rows))
    run, state = make_run(cfg, model, plan.total, saved)
    resumed_from = state.global_step
    cfg.out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    seen = _train_epochs(cfg, run, data, plan, state, on_step)
    seconds = time.perf_counter() - t0
    run.model.save_pretrained(cfg.out_dir)
    done_steps = state.global_step - resumed_from
    result = TrainResult(
        adapter_dir=str(cfg.out_dir), steps=state.global_step, epochs_completed=state.epoch,
        train_losses=state.train_losses, val_losses=state.val_losses, n_train=len(data.train_rows),
        n_val=len(data.val_rows), dropped_too_long=data.dropped_too_long, seconds=seconds,
        s_per_step=seconds / max(done_steps, 1), examples_per_s=seen / seconds if seconds > 0 else 0.0,
        resumed_from_step=resumed_from,
    )
    _write_summary(cfg, result)
    if (cfg.out_dir / CHECKPOINT).exists():
        shutil.rmtree(cfg.out_dir / CHECKPOINT)  # finished: the adapter itself is the result
    return result


def _train_epochs(cfg: TrainConfig, run: Run, data: TrainData, plan: StepPlan, state: TrainState,
                  on_step: Callable[[int, float], None] | None) -> int:
    """Train from `state` to `plan.total` steps, with validation and a checkpoint per epoch and
    every `cfg.save_every` steps; the number of examples seen."""
    progress = _progress(cfg.progress)
    seen = 0
    run.model.train()
    with progress:
        bar = progress.add_task("LoRA", total=plan.total, completed=state.global_step, loss=float("nan"))
        while state.global_step < plan.total and state.epoch < plan.n_epochs:
            steps = epoch_steps(cfg, len(data.train_rows), state.epoch)
            for group in steps[state.step_in_epoch :]:
                mean = optimizer_step(run, data, group, cfg)
                seen += sum(len(idx) for idx in group)
                state.global_step += 1
                state.step_in_epoch += 1
                state.train_losses.append(mean)
                progress.update(bar, completed=state.global_step, loss=mean)
                if on_step:
                    on_step(state.global_step, mean)
                if cfg.save_every and state.global_step % cfg.save_every == 0 and state.global_step < plan.total:
                    _save_checkpoint(run, state, cfg.out_dir)
                if state.global_step >= plan.total:
                    break
            if state.step_in_epoch >= len(steps):
                state.epoch += 1
                state.step_in_epoch = 0
            if data.val_rows:
                vl = evaluate_loss(run.model, data.val_rows, cfg.batch_size, data.tokenizer.pad_token_id, cfg.device)
                state.val_losses.append(vl)
                progress.console.print(f"epoch {state.epoch}: validation loss {vl:.4f}")
            if state.global_step < plan.total:
                _save_checkpoint(run, state, cfg.out_dir)
    return seen


def _write_summary(cfg: TrainConfig, result: TrainResult) -> None:
    summary = {"result": asdict(result),
               # the packaged SmolLM2 is a dequantised Q4_1 copy of this public model (what vLLM serves)
               "hf_base_model": SMOLLM2_HF_ID if cfg.base_model == PACKAGED_NAME else cfg.base_model,
               "config": {**asdict(cfg), "data_dir": str(cfg.data_dir), "out_dir": str(cfg.out_dir)}}
    (cfg.out_dir / "training_summary.json").write_text(json.dumps(summary, indent=2))


def _progress(enabled: bool):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]:.4f}"), TimeElapsedColumn(), TimeRemainingColumn(),
        disable=not enabled,
    )
