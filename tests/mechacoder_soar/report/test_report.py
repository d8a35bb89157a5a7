"""`soar report`: the page parses, every image is an embedded non-empty PNG that decodes, the
sections carry the run's numbers, and (when chromium is installed) it renders headless."""
from __future__ import annotations

import base64
import json
import shutil
import subprocess
from html.parser import HTMLParser

import pytest
from typer.testing import CliRunner

from mechacoder_soar.cli import app
from mechacoder_soar.domain import Attempt

pytestmark = pytest.mark.store_backends("embedded")  # the report reads the store; backends are tested elsewhere

WIN = "def transform(grid):\n    return grid[::-1]"


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.imgs, self.tags, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            self.imgs.append(dict(attrs))

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture
def run_dir(tmp_path):
    rd = tmp_path / "run"
    rd.mkdir()
    (rd / "config.json").write_text(json.dumps({"suite": "arc1-train", "iterations": 2, "proposer": "library", "namespace": "default"}))
    atts = []
    for it in (0, 1):
        for k, (code, out, acc, ok) in enumerate([(WIN, [[2]], 1.0, True), (f"# wrong {it}\n" + WIN, [[it + 5]], 0.0, False)]):
            atts.append(Attempt(id=f"a{it}{k}", task_id="t1", code=code, iteration=it, proposer="library-search",
                                train_outputs=[out], train_correct=[acc == 1.0], train_accuracy=acc, test_outputs=[out],
                                test_correct=[ok], meta={"dsl": '[["flip_ud", {}]]'} if ok else {}))
        atts.append(Attempt(id=f"b{it}", task_id="t2", code=f"def transform(grid):\n    return {it}", iteration=it,
                            train_outputs=[[[0]]], train_correct=[False], test_outputs=[[[0]]], test_correct=[False]))
    (rd / "attempts.jsonl").write_text("".join(json.dumps(a.to_soar_record()) + "\n" for a in atts))
    rows = [{"iteration": it, "tasks": 2, "attempts": 3, "train_solved": 1, "test_pass_at_2": 0.5, "new_skills": 3 - it,
             "library_size": 52 + it, "by_source": {"seed": 49, "solved": 1, "hindsight": 2 + it}, "wall_s": 1.0,
             "per_task": [{"task_id": "t1", "attempts": 2, "n_correct": 1, "train_solved": True, "best_train_accuracy": 1.0,
                           "test_pass_at_2": 1.0, "best_attempt_id": f"a{it}0"},
                          {"task_id": "t2", "attempts": 1, "n_correct": 0, "train_solved": False, "best_train_accuracy": 0.0,
                           "test_pass_at_2": 0.0, "best_attempt_id": f"b{it}"}]} for it in (0, 1)]
    (rd / "metrics.json").write_text(json.dumps({"iterations": rows}))
    (rd / "curriculum.json").write_text(json.dumps({"batches": [
        {"name": "hindsight:t2", "kind": "hindsight", "source_task": "t2", "n_stones": 3, "before": 0.0, "after": 0.5, "gain": 0.5, "admitted": True},
        {"name": "prefix:t2", "kind": "prefix", "source_task": "t2", "n_stones": 1, "before": 0.5, "after": 0.5, "gain": 0.0, "admitted": False}],
        "summary": {"admitted": 1, "baseline_rate": 0.0, "grounded_rate": 0.5, "ungrounded_rate": 0.5}}))
    return rd


def _check_page(path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.image as mpimg
    import io

    p = Page()
    p.feed(path.read_text())
    assert p.imgs, "no figures"
    for img in p.imgs:
        src = img["src"]
        assert src.startswith("data:image/png;base64,"), src[:40]
        data = base64.b64decode(src.split(",", 1)[1])
        assert len(data) > 1000 and data[:8] == b"\x89PNG\r\n\x1a\n"
        arr = mpimg.imread(io.BytesIO(data), format="png")
        assert arr.shape[0] > 100 and arr.shape[1] > 100 and arr.std() > 0  # not blank
    return p


def test_report_with_store_renders_everything(run_dir, store_dir, store, tmp_path):
    store.add([{"code": WIN, "description": "flip upside down", "kind": "arc", "source": "solved", "origin_attempt_id": "a00"},
               {"code": "def transform(grid):\n    return grid", "description": "identity", "kind": "arc", "source": "seed"}])
    store.record_outcome([s.id for s in store.all()], "sample", 1.0)
    store.close()
    out = tmp_path / "site" / "r.html"
    r = CliRunner().invoke(app, ["report", str(run_dir), "--store", str(store_dir), "--out", str(out)])
    assert r.exit_code == 0, r.output
    p = _check_page(out)
    # solve rate, library growth, EMAs, diversity, stepping stones
    assert len(p.imgs) == 5
    text = " ".join(p.text)
    for needle in ("Per-iteration results", "Pooling and oracle gap", "Diversity", "Stepping stones", "admitted 1 of 2",
                   "flip_ud", "return grid[::-1]", "t2"):
        assert needle in text, needle
    summary = json.loads(out.with_suffix(".json").read_text())
    pooled = summary["pooling"]["by_iteration"][1]["pooled"]
    assert pooled["vote_pass_at_2"] == 0.5 and pooled["oracle"] == 0.5 and pooled["attempts"] == 6
    assert summary["diversity"]["iterations"][1]["library"]["skills"] == 2
    win = {w["task_id"]: w for w in summary["per_task"]}
    assert win["t1"]["winner_id"] == "a10"  # the train-correct program wins the vote in the last iteration
    if shutil.which("chromium"):
        shot = tmp_path / "shot.png"
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--window-size=1200,2400", f"--screenshot={shot}", out.as_uri()],
                       check=True, capture_output=True, timeout=120)
        assert shot.stat().st_size > 10_000


def test_report_without_store_and_bad_input(run_dir, tmp_path):
    r = CliRunner().invoke(app, ["report", str(run_dir)])
    assert r.exit_code == 0, r.output
    p = _check_page(run_dir / "report.html")
    assert len(p.imgs) == 4 and "No store given" in " ".join(p.text)
    bad = CliRunner().invoke(app, ["report", str(tmp_path / "nope")])
    assert bad.exit_code == 2 and "does not exist" in bad.output
    (tmp_path / "empty").mkdir()
    bad = CliRunner().invoke(app, ["report", str(tmp_path / "empty")])
    assert bad.exit_code == 2 and "not a run directory" in bad.output
