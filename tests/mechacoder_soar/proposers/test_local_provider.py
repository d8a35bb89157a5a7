from __future__ import annotations

import os

import pytest

from mechacoder_soar.proposers.local_provider import parse_local_model, register_local_provider


def test_parse_local_model_strings() -> None:
    s = parse_local_model("local/smollm2")
    assert (s.base, s.adapter) == ("smollm2", None)
    s = parse_local_model("smollm2+/tmp/adapter")
    assert (s.base, s.adapter) == ("smollm2", "/tmp/adapter")
    with pytest.raises(ValueError, match="adapter"):
        parse_local_model("smollm2+")
    with pytest.raises(ValueError, match="base"):
        parse_local_model("local/+x")


def test_register_is_idempotent() -> None:
    import litellm

    register_local_provider()
    register_local_provider()
    assert sum(1 for i in litellm.custom_provider_map if i["provider"] == "local") == 1
    assert "local" in litellm._custom_providers


@pytest.mark.slow
def test_real_forward_pass_through_litellm() -> None:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    register_local_provider()
    resp = litellm.completion(
        model="local/smollm2",
        messages=[{"role": "user", "content": "Write one word."}],
        max_tokens=8, temperature=0.7, top_p=0.95, min_p=0.05, n=2, seed=1,
    )
    assert len(resp.choices) == 2
    for ch in resp.choices:
        assert isinstance(ch.message.content, str) and ch.message.content.strip()
        assert ch.finish_reason in ("stop", "length")
    assert 0 < resp.usage.completion_tokens <= 16
    assert resp.usage.prompt_tokens > 5
    # same seed, same text: sampling is reproducible
    again = litellm.completion(
        model="local/smollm2", messages=[{"role": "user", "content": "Write one word."}],
        max_tokens=8, temperature=0.7, top_p=0.95, min_p=0.05, n=2, seed=1,
    )
    assert [c.message.content for c in again.choices] == [c.message.content for c in resp.choices]
    # greedy with n > 1 (transformers refuses it natively): n identical completions
    greedy = litellm.completion(model="local/smollm2", messages=[{"role": "user", "content": "Write one word."}],
                                max_tokens=8, temperature=0.0, n=2)
    assert len(greedy.choices) == 2 and greedy.choices[0].message.content == greedy.choices[1].message.content


@pytest.mark.slow
def test_missing_adapter_is_a_clear_error(tmp_path) -> None:
    import litellm

    from mechacoder_soar.models.smollm2 import ModelNotAvailable

    register_local_provider()
    with pytest.raises(Exception, match="adapter_config.json"):
        litellm.completion(model=f"local/smollm2+{tmp_path}", messages=[{"role": "user", "content": "x"}], max_tokens=2)
    assert ModelNotAvailable  # the underlying error type
