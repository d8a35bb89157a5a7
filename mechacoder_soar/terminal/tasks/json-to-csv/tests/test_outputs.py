import csv


def rows():
    with open("/app/users.csv", newline="") as f:
        return list(csv.reader(f))


def test_header():
    """The header is id,name,email,city,tags."""
    assert rows()[0] == ["id", "name", "email", "city", "tags"]


def test_rows():
    """Active users sorted by id, nested city, tags joined with ';'."""
    assert rows()[1:] == [
        ["2", "Lovelace, Ada", "ada@example.com", "London", "math"],
        ["3", "Linus", "linus@example.com", "Portland", ""],
        ["7", "Grace Hopper", "grace@example.com", "Arlington", "navy;cobol"],
        ["11", 'Ken "K" Thompson', "ken@example.com", "", ""],
    ]


def test_quoting_is_standard():
    """The comma and the quotes are escaped the standard CSV way."""
    text = open("/app/users.csv").read()
    assert '"Lovelace, Ada"' in text
    assert '"Ken ""K"" Thompson"' in text
