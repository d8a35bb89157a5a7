import json
import sys

from .pricing import order_total


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    orders = json.load(open(argv[0]))
    for order in orders:
        total = order_total([tuple(x) for x in order["lines"]], order.get("coupon"))
        print(f"{order['id']}: {total}")


if __name__ == "__main__":
    main()
