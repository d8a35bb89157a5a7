"""--executor: a clear error for an unknown name, and for Ray when it is not installed."""
import sys

import pytest
from typer.testing import CliRunner

from mechacoder_soar.distributed.ray_search import (
    RaySearchConfig, RayUnavailableError, import_ray, validate_executor,
)


def test_missing_ray_names_the_fix(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` fail as if not installed
    with pytest.raises(RayUnavailableError, match=r'pip install "ray\[default\]".*--executor local'):
        import_ray()


def test_unknown_executor_and_bad_config_rejected():
    assert validate_executor("ray") == "ray"
    with pytest.raises(ValueError, match="unknown executor 'dask': choose one of local, ray"):
        validate_executor("dask")
    with pytest.raises(ValueError, match="num_workers must be >= 1"):
        RaySearchConfig(num_workers=0)


def test_cli_rejects_unknown_executor_before_doing_work(tmp_path):
    from mechacoder_soar.cli import app

    r = CliRunner().invoke(app, ["run", "--executor", "dask", "--run-dir", str(tmp_path / "r")])
    assert r.exit_code == 2 and "unknown --executor 'dask'" in r.output
    assert not (tmp_path / "r").exists()
