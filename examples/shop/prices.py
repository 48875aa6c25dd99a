"""shop.prices: a price list (see importtree.py)."""
PRICES = {"tea": 3, "cake": 4}
