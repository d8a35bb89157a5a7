from pathlib import Path

EXPECTED = {
    "txt": {"report.TXT": "quarterly numbers\n", "notes.txt": "notes\n"},
    "png": {"logo.png": None},
    "csv": {"data.csv": "a,b\n1,2\n"},
    "py": {"tool.py": "print(1)\n"},
    "gz": {"backup.tar.gz": "archive\n"},
    "noext": {"Makefile": "all: build\n", "README": "readme\n"},
}


def test_inbox_empty():
    """/app/inbox still exists and holds nothing."""
    inbox = Path("/app/inbox")
    assert inbox.is_dir() and list(inbox.iterdir()) == []


def test_sorted_layout():
    """Each file is under sorted/<lower-case extension>/ (or noext/), names unchanged."""
    root = Path("/app/sorted")
    got = {d.name: sorted(p.name for p in d.iterdir()) for d in root.iterdir() if d.is_dir()}
    assert got == {k: sorted(v) for k, v in EXPECTED.items()}


def test_contents_unchanged():
    """Moved files keep their contents."""
    for ext, files in EXPECTED.items():
        for name, text in files.items():
            if text is not None:
                assert (Path("/app/sorted") / ext / name).read_text() == text
