import os
import subprocess
import tempfile

REPO = "/app/repo"


def git(*args, cwd=REPO):
    return subprocess.run(["git", "-C", cwd, *args], capture_output=True, text=True, check=True).stdout.strip()


def first_bad():
    """Recompute the answer in a scratch clone: the oldest commit where check.sh fails."""
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["git", "clone", "-q", REPO, d], check=True)
        for sha in git("rev-list", "--reverse", "main").split():
            git("checkout", "-q", sha, cwd=d)
            if subprocess.run(["sh", "./check.sh"], cwd=d, capture_output=True,
                              env={**os.environ, "PYTHONPATH": d}).returncode != 0:
                return sha
    return None


def test_answer_is_the_first_bad_commit():
    """first_bad_commit.txt holds the full hash of the first failing commit."""
    got = open("/app/first_bad_commit.txt").read().strip()
    assert len(got) == 40
    assert got == first_bad()


def test_repository_untouched():
    """main is back where it was (14 commits, message of the tip) and the tree is clean."""
    assert git("rev-list", "--count", "main") == "14"
    assert git("log", "-1", "--format=%s", "main") == "Document revision 14"
    assert git("symbolic-ref", "--short", "HEAD") == "main"
    assert git("status", "--porcelain") == ""
