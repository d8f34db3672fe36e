import requests

from ..catalog import Catalog, DiscountedItem
from .. import util


def checkout(catalog, total):
    session = requests.Session()
    session.post("https://pay.example/charge", json={"total": total})
    return util.slugify(str(total))


def is_even(n):
    return n == 0 or is_odd(n - 1)


def is_odd(n):
    return n != 0 and is_even(n - 1)


def countdown(n):
    if n > 0:
        countdown(n - 1)


def build():
    catalog = Catalog()
    catalog.add(DiscountedItem("Tea pot", 20.0, 0.1))
    total = catalog.mean_price()
    nested = lambda: checkout(catalog, total)
    return nested()
