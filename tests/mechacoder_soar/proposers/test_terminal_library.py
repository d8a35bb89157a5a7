"""The no-LLM proposer for terminal tasks, on a real store: the best-ranked terminal skills as
attempts, refinement by the failing tests' output, no script twice for a task in one round."""
from __future__ import annotations

import pytest

from mechacoder_soar.domain import Attempt, Task
from mechacoder_soar.proposers.library import reuse_scripts
from mechacoder_soar.proposers.terminal_library import (
    NoTerminalSkillsError,
    TerminalLibraryProposer,
    require_terminal_skills,
)
from mechacoder_soar.terminal import builtin_suite_path, load_tb_task
from skills_store.schema import Skill

pytestmark = pytest.mark.store_backends("embedded")

HELLO = "printf 'Hello, world!\\n' > /app/hello.txt\n"
CSV = "python3 -c 'import json,csv,sys' /app/data.json > /app/data.csv\n"
PERMS = "chmod 600 /app/secret.key\nchmod +x /app/scripts/*.sh\n"


def _skills(store):
    store.add([
        {"code": HELLO, "description": "Write the line 'Hello, world!' to /app/hello.txt", "kind": "terminal"},
        {"code": CSV, "description": "Convert /app/data.json to CSV at /app/data.csv", "kind": "terminal"},
        {"code": PERMS, "description": "Fix the permissions: /app/secret.key private, scripts executable",
         "kind": "terminal"},
    ])


def test_builtin_reference_scripts_are_reused_unchanged_for_their_own_task():
    """A script recorded for a task comes back verbatim for that task (file names line up)."""
    for d in sorted(p for p in builtin_suite_path().iterdir() if p.is_dir()):
        t = load_tb_task(d)
        sk = Skill(id="s", code=t.reference_script(), description=t.instruction, content_hash="h", kind="terminal")
        [p] = reuse_scripts(Task(id=d.name, kind="terminal", instruction=t.instruction), [sk], 1)
        assert p.code == sk.code, d.name


def test_sample_then_refine_by_failing_output(store):
    _skills(store)
    prop = TerminalLibraryProposer(store)
    task = Task(id="t", kind="terminal", instruction="Write 'Hello, world!' into the file /app/hello.txt")
    [first] = prop.sample(task, [], 1)
    assert first.code == HELLO and first.context_skill_ids
    parent = Attempt(id="a", task_id="t", code=first.code, train_correct=[False], train_accuracy=0.0,
                     meta={"failing_tests": "test_secret_key_private", "test_output_tail": "secret.key mode is 0644, want 0600"})
    [fix] = prop.refine(task, parent, [], 1)
    perms_id = next(s.id for s in store.all() if s.code == PERMS)
    assert fix.meta["reused"] == perms_id  # the failing output retrieved the permissions script
    assert fix.code == PERMS.replace("/app/secret.key", "/app/hello.txt")  # in this task's file names
    rest = prop.sample(task, [], 5)
    assert [p.code for p in rest] == [CSV.replace("/app/data.json", "/app/hello.txt")]  # none twice in a round
    prop.start_task("t")
    assert len(prop.sample(task, [], 5)) == 3  # a new round may propose them again


def test_no_terminal_skills_says_what_to_pass(store):
    store.add([{"code": "def transform(g):\n    return g", "description": "identity", "kind": "arc"}])
    with pytest.raises(NoTerminalSkillsError, match="--proposer"):
        require_terminal_skills(store, "this store")
    _skills(store)
    require_terminal_skills(store, "this store")
