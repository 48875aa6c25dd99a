"""shop: a package for importtree.py."""
from shop.cart import total  # noqa: F401
