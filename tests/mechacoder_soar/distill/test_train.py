"""Real LoRA steps on SmolLM2 over a small real export (CPU, a couple of minutes at most)."""
from __future__ import annotations

import pytest

from mechacoder_soar.distill.examples import examples_from_skills
from mechacoder_soar.distill.export import export_dataset, load_split
from mechacoder_soar.distill.tokenize import tokenize_example
from mechacoder_soar.distill.train import LoraSettings, TrainConfig, evaluate_loss, load_base, train_lora

from .helpers import tiny_store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    d = tmp_path_factory.mktemp("ds")
    export_dataset(examples_from_skills(tiny_store()[:4]), d, val_fraction=0.0)
    return d


def _cfg(dataset, out, **kw) -> TrainConfig:
    base = dict(lora=LoraSettings(r=8, alpha=16, dropout=0.0), lr=2e-3, batch_size=2, max_seq_len=512,
                progress=False, warmup_ratio=0.0)
    base.update(kw)
    return TrainConfig(data_dir=dataset, out_dir=out, **base)


def test_steps_lower_loss_and_adapter_round_trips(dataset, tmp_path) -> None:
    import torch
    from peft import PeftModel

    out = tmp_path / "adapter"
    result = train_lora(_cfg(dataset, out, max_steps=4))
    assert result.steps == 4 and (out / "adapter_config.json").exists() and (out / "adapter_model.safetensors").exists()

    tok, base = load_base("smollm2", "cpu")
    rows = [t for t in (tokenize_example(tok, e, 512) for e in load_split(dataset, "train")) if t]
    before = evaluate_loss(base, rows, 2, tok.pad_token_id, "cpu")
    tuned = PeftModel.from_pretrained(base, str(out))
    after = evaluate_loss(tuned, rows, 2, tok.pad_token_id, "cpu")
    assert after < before - 0.05, (before, after)

    # save -> load gives the same function
    ids = torch.tensor([rows[0].input_ids[:64]])
    with torch.no_grad():
        logits = tuned(input_ids=ids).logits
        tuned.save_pretrained(tmp_path / "again")
        _, base2 = load_base("smollm2", "cpu")
        reloaded = PeftModel.from_pretrained(base2, str(tmp_path / "again")).eval()
        assert torch.allclose(logits, reloaded(input_ids=ids).logits, atol=1e-5)


def test_resume_from_checkpoint(dataset, tmp_path) -> None:
    out = tmp_path / "adapter"

    class Stop(Exception):
        pass

    def stop_at_2(step: int, loss: float) -> None:
        if step == 2:
            raise Stop

    with pytest.raises(Stop):
        train_lora(_cfg(dataset, out, max_steps=3, save_every=1), on_step=stop_at_2)
    assert (out / "checkpoint" / "trainer_state.pt").exists()
    result = train_lora(_cfg(dataset, out, max_steps=3, save_every=1))
    assert result.resumed_from_step == 1 and result.steps == 3
    assert len(result.train_losses) == 3
    assert not (out / "checkpoint").exists()


def test_cuda_refused_without_gpu(dataset, tmp_path) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("machine has a GPU")
    with pytest.raises(RuntimeError, match="no CUDA GPU"):
        train_lora(_cfg(dataset, tmp_path / "a", device="cuda", max_steps=1))
