import json

import numpy as np

from . import util
from .util import slugify as make_slug, retry


class Item:
    """An item for sale."""

    def __init__(self, name, price):
        self.name = name
        self.price = price
        self.slug = make_slug(name)

    def __repr__(self):
        return f"Item({self.name!r})"

    @property
    def label(self):
        return self.name.title()

    def describe(self):
        raise NotImplementedError


class DiscountedItem(Item):
    def __init__(self, name, price, discount):
        super().__init__(name, price)
        self.discount = discount

    def describe(self):
        return "%s at %.2f" % (self.label, self.price * (1 - self.discount))


class Catalog:
    def __init__(self):
        self.items = []
        self.by_slug = {}

    def add(self, item):
        self.items.append(item)
        self.by_slug[item.slug] = item

    @retry(3)
    def load(self, path):
        with open(util.data_path(path)) as fh:
            for row in json.load(fh):
                self.add(Item(row["name"], row["price"]))

    def mean_price(self):
        return np.mean([i.price for i in self.items])

    def describe_all(self):
        return sorted(item.describe() for item in self.items)

    @staticmethod
    def empty():
        pass
