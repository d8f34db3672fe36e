from shop.catalog import Catalog


def test_empty():
    assert Catalog().items == []
