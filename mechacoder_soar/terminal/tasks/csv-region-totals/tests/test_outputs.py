import csv
from collections import defaultdict
from decimal import Decimal
from pathlib import Path


def test_header():
    """The first line is the header region,total."""
    assert Path("/app/totals.csv").read_text().splitlines()[0].strip() == "region,total"


def test_totals():
    """One row per region, alphabetical, sums with two decimals."""
    sums = defaultdict(Decimal)
    with open("/app/sales.csv") as f:
        for row in csv.DictReader(f):
            sums[row["region"]] += Decimal(row["amount"])
    want = [f"{r},{sums[r]:.2f}" for r in sorted(sums)]
    got = [ln.strip() for ln in Path("/app/totals.csv").read_text().splitlines()[1:] if ln.strip()]
    assert got == want
