from pathlib import Path


def test_file_exists():
    """The file /app/hello.txt exists."""
    assert Path("/app/hello.txt").is_file()


def test_file_content():
    """It holds exactly the greeting and a newline."""
    assert Path("/app/hello.txt").read_text() == "Hello, world!\n"
