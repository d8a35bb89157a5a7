"""`soar distill export|train`: optional LoRA distillation of the skill library. Heavy imports
(torch, peft, datasets, the store) happen inside the commands."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(help="Distil solved/hindsight skills into a LoRA adapter (optional; GPU recommended).",
                  no_args_is_help=True)


def _fail(msg: str) -> None:
    typer.secho(f"error: {msg}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


ALL_ATTEMPTS = 2**62  # the ledger's attempts are read whole (SQLite LIMIT takes a bound)


def _load_store(store: str, namespace: str) -> tuple[list, list[dict]]:
    """Store -> (live skills, the ledger's attempt records oldest first)."""
    from .common import open_store

    st = open_store(store, namespace)
    try:
        return st.all(), list(reversed(st.attempts(ALL_ATTEMPTS)))
    finally:
        st.close()


@app.command("export")
def export_cmd(
    store: str = typer.Option(..., "--store", help="skill store: a directory or http://HOST:PORT"),
    namespace: str = typer.Option("default", help="store namespace"),
    out: Path = typer.Option(..., "--out", help="dataset directory to write"),
    val_fraction: float = typer.Option(0.1, help="fraction of tasks held out for validation"),
    max_per_task: int = typer.Option(4, help="sampling rows per task (greedy-diverse)"),
    refine_per_bin: Optional[int] = typer.Option(None, help="refinement rows per parent-accuracy bin (default: smallest bin)"),
    seed: int = typer.Option(0),
) -> None:
    """Write a versioned SFT dataset (JSONL + HF datasets) built with the inference prompts."""
    from ..distill.examples import SelectionConfig, examples_from_skills
    from ..distill.export import export_dataset

    if "://" not in store and not Path(store).exists():
        _fail(f"store {store} does not exist")
    skills, attempts = _load_store(store, namespace)
    rows = examples_from_skills(skills, SelectionConfig(max_sample_per_task=max_per_task,
                                                        refine_per_bin=refine_per_bin, seed=seed), attempts)
    if not rows:
        _fail(f"nothing to export in namespace {namespace!r} of {store}: {len(skills)} skills, {len(attempts)} attempts, "
              "none a solved or hindsight program with its task (run `soar run` to learn some, or record "
              "attempts over `soar serve mcp|http`)")
    try:
        manifest = export_dataset(rows, out, val_fraction)
    except ValueError as e:
        _fail(str(e))
    c = manifest["counts"]
    typer.echo(f"wrote {out}: train {c['train']['rows']} rows / {c['train']['tasks']} tasks, "
               f"validation {c['validation']['rows']} rows / {c['validation']['tasks']} tasks")


@app.command("train")
def train_cmd(
    data: Path = typer.Option(..., "--data", help="dataset directory from `soar distill export`"),
    out: Path = typer.Option(..., "--out", help="adapter directory to write (a standard peft adapter)"),
    base_model: str = typer.Option("smollm2", "--base-model", help="'smollm2' (packaged), an HF id in the local cache, or a path"),
    preset: str = typer.Option("auto", help="soar (r=256 rsLoRA, lr 5e-5), cpu (r=8, lr 2e-4), or auto (by device)"),
    device: str = typer.Option("cpu", help="cpu or cuda[:N]"),
    max_steps: Optional[int] = typer.Option(None, "--max-steps"),
    epochs: Optional[int] = typer.Option(None),
    lr: Optional[float] = typer.Option(None),
    rank: Optional[int] = typer.Option(None, "--rank"),
    alpha: Optional[int] = typer.Option(None, "--alpha"),
    targets: Optional[str] = typer.Option(None, help="comma-separated module names (default: all attention+MLP projections)"),
    rslora: Optional[bool] = typer.Option(None, "--rslora/--no-rslora"),
    batch_size: int = typer.Option(4),
    grad_accum: int = typer.Option(1),
    max_seq_len: int = typer.Option(2048),
    save_every: int = typer.Option(50, help="optimiser steps between resumable checkpoints"),
    resume: bool = typer.Option(True, "--resume/--no-resume", help="continue from OUT/checkpoint if present"),
    seed: int = typer.Option(0),
) -> None:
    """LoRA fine-tune on an exported dataset (loss on responses only)."""
    from dataclasses import replace

    from ..distill.train import cpu_preset, soar_preset, train_lora
    from ..models.loader import check_device

    try:
        check_device(device)
    except (RuntimeError, ValueError) as e:
        _fail(str(e))
    if preset == "auto":
        preset = "soar" if device.startswith("cuda") else "cpu"
    if preset not in ("soar", "cpu"):
        _fail(f"unknown preset {preset!r}: use soar, cpu or auto")
    make = soar_preset if preset == "soar" else cpu_preset
    try:
        cfg = make(data, out, base_model=base_model, device=device, max_steps=max_steps, batch_size=batch_size,
                   grad_accum=grad_accum, max_seq_len=max_seq_len, save_every=save_every, resume=resume, seed=seed)
        lora = cfg.lora
        lora = replace(lora, r=rank if rank is not None else lora.r, alpha=alpha if alpha is not None else lora.alpha,
                       use_rslora=rslora if rslora is not None else lora.use_rslora,
                       targets=tuple(t.strip() for t in targets.split(",") if t.strip()) if targets else lora.targets)
        cfg = replace(cfg, lora=lora, epochs=epochs if epochs is not None else cfg.epochs, lr=lr if lr is not None else cfg.lr)
        result = train_lora(cfg)
    except (ValueError, FileNotFoundError) as e:
        _fail(str(e))
    typer.echo(f"adapter written to {result.adapter_dir}: {result.steps} steps, {result.s_per_step:.2f} s/step, "
               f"{result.examples_per_s:.2f} examples/s, final train loss {result.train_losses[-1]:.4f}"
               + (f", validation loss {result.val_losses[-1]:.4f}" if result.val_losses else ""))
