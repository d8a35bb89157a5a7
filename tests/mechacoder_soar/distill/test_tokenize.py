from __future__ import annotations

import pytest

from mechacoder_soar.distill.examples import sample_example
from mechacoder_soar.distill.tokenize import IGNORE_INDEX, collate, tokenize_example

from ..proposers import fixtures as fx


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    from mechacoder_soar.models.smollm2 import ensure_converted

    return AutoTokenizer.from_pretrained(ensure_converted())


def test_prompt_tokens_are_masked(tokenizer) -> None:
    ex = sample_example(fx.arc_task(), fx.FLIP_CODE, "Mirror each row.")
    t = tokenize_example(tokenizer, ex, max_len=4096)
    assert t is not None and len(t.labels) == len(t.input_ids)
    # the prompt part is exactly the inference prompt's tokens, all masked
    prompt = tokenizer.apply_chat_template(ex.messages, tokenize=False, add_generation_prompt=True)
    n_prompt = len(tokenizer(prompt, add_special_tokens=False)["input_ids"])
    assert t.labels[:n_prompt] == [IGNORE_INDEX] * n_prompt
    assert IGNORE_INDEX not in t.labels[n_prompt:]
    learned = tokenizer.decode(t.labels[n_prompt:])
    assert learned.startswith("Mirror each row.") and "```python\ndef transform" in learned
    assert learned.rstrip().endswith("<|im_end|>")  # the model learns to stop


def test_too_long_is_dropped_and_collate_pads(tokenizer) -> None:
    ex = sample_example(fx.arc_task(), fx.FLIP_CODE)
    assert tokenize_example(tokenizer, ex, max_len=10) is None
    a = tokenize_example(tokenizer, ex, 4096)
    b = tokenize_example(tokenizer, sample_example(fx.code_task(), "def add_pair(p):\n    return p[0] + p[1]\n"), 4096)
    batch = collate([a, b], tokenizer.pad_token_id)
    short = min(len(a.input_ids), len(b.input_ids))
    i = 0 if len(a.input_ids) == short else 1
    assert batch["attention_mask"][i].sum() == short
    assert (batch["labels"][i, short:] == IGNORE_INDEX).all()
