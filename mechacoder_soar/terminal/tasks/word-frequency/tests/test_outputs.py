import re
from collections import Counter
from pathlib import Path


def expected():
    words = re.findall(r"[A-Za-z]+", Path("/app/input.txt").read_text())
    counts = Counter(w.lower() for w in words)
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    return [f"{c} {w}" for w, c in top]


def test_freq_file_exists():
    """/app/freq.txt was written."""
    assert Path("/app/freq.txt").is_file()


def test_freq_lines():
    """Exactly the five most frequent words, count first, ties broken alphabetically."""
    lines = [ln.strip() for ln in Path("/app/freq.txt").read_text().splitlines() if ln.strip()]
    assert lines == expected()
