import sys

from shop import Catalog, slugify
from shop.payments import gateway


def main(argv):
    catalog = Catalog()
    catalog.load(argv[1])
    print(slugify(argv[0]))
    for line in catalog.describe_all():
        print(line)
    gateway.build()
    if gateway.is_even(len(argv)):
        gateway.countdown(3)


if __name__ == "__main__":
    main(sys.argv)
