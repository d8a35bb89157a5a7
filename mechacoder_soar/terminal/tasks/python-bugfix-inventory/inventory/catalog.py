from decimal import Decimal

# sku -> (name, unit price, taxable)
CATALOG = {
    "PEN": ("Ballpoint pen", Decimal("1.15"), True),
    "BOOK": ("Paperback book", Decimal("12.50"), False),
    "MUG": ("Coffee mug", Decimal("8.99"), True),
    "BAG": ("Tote bag", Decimal("4.05"), True),
}


def unit_price(sku):
    try:
        return CATALOG[sku][1]
    except KeyError:
        raise KeyError(f"unknown sku {sku!r}") from None


def is_taxable(sku):
    return CATALOG[sku][2]
