"""In-process language models (SmolLM2 from the packaged GGUF, or any local/HF causal LM) and
their generation loop. Everything heavy (torch, transformers, peft) is imported inside functions."""
