def discount():
    return 0


def total():
    return 10 - discount()  # WANT: shop.pricing.total -> shop.pricing.discount
