import subprocess
import sys
from decimal import Decimal

import pytest

sys.path.insert(0, "/app")

from inventory.pricing import order_total  # noqa: E402


def test_plain_order():
    """3 pens (taxable) + 1 book (not): 3.45 + 12.50 + 0.276 tax = 16.226 -> 16.23."""
    assert order_total([("PEN", 3), ("BOOK", 1)]) == Decimal("16.23")


def test_bulk_discount_at_threshold():
    """Exactly 10 items get the 10% discount (and tax applies after it)."""
    # 10 mugs: 89.90 -> 80.91, tax 6.4728 -> 87.3828 -> 87.38
    assert order_total([("MUG", 10)]) == Decimal("87.38")


def test_rounded_to_cents():
    """Cents are rounded: 4.05 x 1.08 = 4.374 -> 4.37; 5 pens: 5.75 x 1.08 = 6.21."""
    assert order_total([("BAG", 1)]) == Decimal("4.37")
    assert order_total([("PEN", 5)]) == Decimal("6.21")  # 5.75 * 1.08 = 6.21


def test_rounding_half_up_exact_half():
    """A total of exactly half a cent rounds up (banker's rounding or floats would not)."""
    # 25 pens: 28.75 -> 25.875 after the bulk discount, x 1.08 = 27.945 exactly -> 27.95
    assert order_total([("PEN", 25)]) == Decimal("27.95")
    # 25 books (untaxed, bulk) + a pen: 281.25 + 1.242 = 282.492 -> 282.49
    assert order_total([("BOOK", 25), ("PEN", 1)]) == Decimal("282.49")


def test_coupons():
    """A coupon takes its amount off, never below zero; an unknown one is an error."""
    assert order_total([("MUG", 1)], coupon="SAVE5") == Decimal("4.71")  # 9.7092 - 5
    assert order_total([("BAG", 2)], coupon="SAVE20") == Decimal("0.00")
    with pytest.raises(ValueError):
        order_total([("MUG", 1)], coupon="BOGUS")


def test_result_is_decimal():
    """The total is a Decimal with two places."""
    t = order_total([("BOOK", 2)])
    assert isinstance(t, Decimal) and t == Decimal("25.00") and str(t) == "25.00"


def test_cli_output():
    """The CLI prints '<id>: <total>' with two decimals."""
    out = subprocess.run([sys.executable, "-m", "inventory.cli", "/app/orders.json"], cwd="/app",
                         capture_output=True, text=True, check=True).stdout.split("\n")
    assert [ln for ln in out if ln] == ["A-1: 16.23", "A-2: 86.76", "A-3: 0.00", "A-4: 107.30"]
