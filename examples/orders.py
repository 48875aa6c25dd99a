"""orders.py: the target of hunter.pytap and pytrace.pytap: a few calls
with arguments and results, and an exception that is caught."""


class OutOfStock(Exception):
    pass


STOCK = {"tea": 2, "cake": 0}
PRICES = {"tea": 3.5, "cake": 4.25}


def price(item, qty=1):
    if STOCK.get(item, 0) < qty:
        raise OutOfStock(item)
    return PRICES[item] * qty


def order(items, *, coupon=None):
    total = 0.0
    for item, qty in items:
        try:
            total += price(item, qty)
        except OutOfStock:
            pass
    if coupon:
        total -= 1
    return round(total, 2)


print(order([("tea", 2), ("cake", 1)], coupon="SPRING"))
