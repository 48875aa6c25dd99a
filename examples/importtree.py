"""importtree.py: the target of importtree.pytap.  It imports the small
package shop/ next to it (shop imports shop.cart, which imports
shop.prices) and tries a module that does not exist."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import shop  # noqa: E402

try:
    import shop.coupons  # noqa: F401
except ImportError:
    pass

print(shop.total(["tea", "cake"]))
