"""Chat-template tokenisation with the loss on the response only.

The prompt ids are exactly what inference feeds the model (`models.generation` tokenises
`apply_chat_template(messages, add_generation_prompt=True)` without special tokens); the response
part is the template's assistant turn including its end-of-turn marker, so the model learns to stop.
"""
from __future__ import annotations

from dataclasses import dataclass

from .examples import SFTExample

IGNORE_INDEX = -100


@dataclass
class TokenizedExample:
    input_ids: list[int]
    labels: list[int]


def tokenize_example(tokenizer, ex: SFTExample, max_len: int) -> TokenizedExample | None:
    """None when the example does not fit in max_len: it is dropped rather than truncated, since a
    cut prompt is not a prompt the model will ever see."""
    prompt = tokenizer.apply_chat_template(ex.messages, tokenize=False, add_generation_prompt=True)
    full = tokenizer.apply_chat_template(
        ex.messages + [{"role": "assistant", "content": ex.response}], tokenize=False
    )
    if not full.startswith(prompt):
        raise ValueError("the chat template does not extend the generation prompt with the assistant turn; "
                         "response-only masking needs a template where it does")
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    response_ids = tokenizer(full[len(prompt):], add_special_tokens=False)["input_ids"]
    ids = prompt_ids + response_ids
    if len(ids) > max_len:
        return None
    return TokenizedExample(input_ids=ids, labels=[IGNORE_INDEX] * len(prompt_ids) + response_ids)


def collate(batch: list[TokenizedExample], pad_id: int):
    """Right-padded tensors; padding is masked out of both attention and loss."""
    import torch

    width = max(len(b.input_ids) for b in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), IGNORE_INDEX, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for i, b in enumerate(batch):
        n = len(b.input_ids)
        ids[i, :n] = torch.tensor(b.input_ids)
        labels[i, :n] = torch.tensor(b.labels)
        mask[i, :n] = 1
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}
