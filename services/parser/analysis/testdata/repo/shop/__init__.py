"""A small shop: the fixture repository for the parser's golden tests."""
from .catalog import Catalog
from .util import *
