import subprocess

REPO = "/app/project"


def git(*args):
    return subprocess.run(["git", "-C", REPO, *args], capture_output=True, text=True, check=True).stdout.strip()


def test_main_at_v1_0():
    """main points at the commit tagged v1.0, whose message is 'Initial commit'."""
    assert git("rev-parse", "main") == git("rev-parse", "v1.0^{commit}")
    assert git("log", "-1", "--format=%s|%an|%ae", "main") == "Initial commit|Release Bot|bot@example.com"
    assert sorted(git("ls-tree", "--name-only", "main").split()) == ["README.md", "VERSION", "app.py"]


def test_hotfix_branch_and_tag():
    """hotfix is one commit past main, tagged v1.0.1, VERSION is 1.0.1."""
    assert git("rev-parse", "hotfix") == git("rev-parse", "v1.0.1^{commit}")
    assert git("rev-parse", "hotfix^") == git("rev-parse", "main")
    assert git("log", "-1", "--format=%s|%an", "hotfix") == "Bump version to 1.0.1|Release Bot"
    assert git("show", "hotfix:VERSION") == "1.0.1"


def test_tags_are_annotated():
    """Both tags are annotated with the release messages."""
    assert git("cat-file", "-t", "v1.0") == "tag"
    assert git("cat-file", "-t", "v1.0.1") == "tag"
    assert git("tag", "-l", "--format=%(contents:subject)", "v1.0") == "Release 1.0"
    assert git("tag", "-l", "--format=%(contents:subject)", "v1.0.1") == "Release 1.0.1"


def test_clean_tree():
    """Nothing uncommitted."""
    assert git("status", "--porcelain") == ""
