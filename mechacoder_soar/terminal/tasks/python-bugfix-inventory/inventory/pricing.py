from decimal import Decimal

from .catalog import is_taxable, unit_price

TAX_RATE = Decimal("0.08")
BULK_QTY = 10
BULK_DISCOUNT = Decimal("0.10")
COUPONS = {"SAVE5": Decimal("5.00"), "SAVE20": Decimal("20.00")}


def line_amount(sku, qty):
    """Price of one order line: unit price x quantity, less 10% when qty is BULK_QTY or more."""
    amount = unit_price(sku) * qty
    if qty > BULK_QTY:
        amount = amount * (1 - BULK_DISCOUNT)
    return amount


def order_total(lines, coupon=None):
    """Total of an order, a list of (sku, qty) pairs.

    1. Each line costs line_amount(sku, qty) (bulk discount included).
    2. Tax: TAX_RATE on the taxable lines' amounts (after their bulk discount).
    3. A coupon (a key of COUPONS) then takes its fixed amount off the total, never below zero;
       an unknown coupon raises ValueError.
    4. The result is a Decimal rounded to cents, halves rounded up (ROUND_HALF_UP).
    """
    subtotal = Decimal(0)
    taxable = Decimal(0)
    for sku, qty in lines:
        amount = line_amount(sku, qty)
        subtotal += amount
        if is_taxable(sku):
            taxable += unit_price(sku) * qty
    total = subtotal + taxable * TAX_RATE
    if coupon:
        total -= COUPONS.get(coupon, 0)
    return round(float(total), 2)
