"""The same graph over Terminal-Bench-format tasks: scripts run in the Docker-free sandboxed runner."""
import json

from graphs.runner import run_loop
from mechacoder_soar.config import RunConfig
from mechacoder_soar.proposers.base import Proposal
from mechacoder_soar.proposers.library import reuse_scripts
from mechacoder_soar.domain import Task
from mechacoder_soar.terminal import builtin_suite_path

WRONG = "printf 'Hello world\\n' > /app/hello.txt"
RIGHT = "printf 'Hello, world!\\n' > /app/hello.txt"


class ScriptProposer:
    name = "scripted-shell"

    def sample(self, task, skills, n, seed=0):
        return [Proposal(WRONG)]

    def refine(self, task, parent, skills, n, seed=0):
        assert parent.meta.get("failing_tests")  # refinement sees which tests failed
        return [Proposal(RIGHT)]


def test_terminal_tasks_sample_refine_learn(tmp_path, store):
    import mechacoder_soar.proposers.factory as f

    cfg = RunConfig(suite=f"tb:{builtin_suite_path()}", task_ids=["hello-file"], iterations=1, budget_sample=1,
                    budget_refine=1, run_dir=str(tmp_path / "run"))
    orig = f.make_proposer
    f.make_proposer = lambda *a: ScriptProposer()
    try:
        m = run_loop(cfg, library=store)
    finally:
        f.make_proposer = orig
    row = m["iterations"][0]
    assert row["attempts"] == 2 and row["train_solved"] == 1 and row["test_pass_at_2"] is None
    recs = [json.loads(l) for l in (tmp_path / "run" / "attempts.jsonl").read_text().splitlines()]
    wrong = next(r for r in recs if r["code"] == WRONG)
    assert 0 <= wrong["train_accuracy"] < 1 and not all(wrong["correct_train_input"])
    right = next(r for r in recs if r["code"] == RIGHT)
    assert right["train_accuracy"] == 1.0 and right["parent_id"] == wrong["id"]
    skills = store.all()
    solved = [s for s in skills if s.source == "solved" and s.code == RIGHT]
    hind = [s for s in skills if s.source == "hindsight" and s.code == WRONG]
    assert solved and hind
    assert "hello.txt" in hind[0].description  # "bring the system to the observed end state"


def test_reuse_scripts_substitutes_file_names():
    from skills_store.schema import Skill

    sk = Skill(id="sk_1", code="sort /app/in.txt > /app/out.txt", description="Sort /app/in.txt into /app/out.txt",
               content_hash="x", source="solved")
    t = Task(id="t", kind="terminal", instruction="Sort the lines of /app/names.txt and write /app/sorted.txt")
    [p] = reuse_scripts(t, [sk], 1)
    assert p.code == "sort /app/names.txt > /app/sorted.txt" and p.context_skill_ids == ["sk_1"]
