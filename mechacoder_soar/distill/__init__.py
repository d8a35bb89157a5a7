"""Optional distillation of the skill library into LoRA weights (SOAR's "learn" step with
gradients): export (prompt -> program) rows built with the exact inference prompts, then LoRA
fine-tune. torch/peft/datasets are imported inside functions."""
