#!/bin/bash
cd /app
python3 - <<'PY'
from pathlib import Path
p = Path("/app/inventory/pricing.py")
s = p.read_text()
s = s.replace("from decimal import Decimal\n", "from decimal import ROUND_HALF_UP, Decimal\n")
s = s.replace("if qty > BULK_QTY:", "if qty >= BULK_QTY:")
s = s.replace("taxable += unit_price(sku) * qty", "taxable += amount")
s = s.replace("""    if coupon:
        total -= COUPONS.get(coupon, 0)
    return round(float(total), 2)""", """    if coupon is not None:
        if coupon not in COUPONS:
            raise ValueError(f"unknown coupon {coupon!r}")
        total = max(Decimal(0), total - COUPONS[coupon])
    return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)""")
p.write_text(s)
PY
python3 - <<'PY'
from pathlib import Path
p = Path("/app/inventory/cli.py")
s = p.read_text().replace("print(f\"{order['id']}: {total}\")", "print(f\"{order['id']}: {total:.2f}\")")
p.write_text(s)
PY
python3 -m inventory.cli /app/orders.json
