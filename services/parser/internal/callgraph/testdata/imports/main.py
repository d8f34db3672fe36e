# Absolute, aliased and relative imports across a package.
import shop.cart as cart
from shop import pricing
from shop.pricing import discount as off

cart.checkout()  # WANT: main -> shop.cart.checkout
pricing.total()  # WANT: main -> shop.pricing.total
off()  # WANT: main -> shop.pricing.discount
