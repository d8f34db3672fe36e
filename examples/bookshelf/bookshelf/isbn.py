"""ISBN-10 and ISBN-13 validation and conversion."""

import re

_SEPARATORS = re.compile(r"[\s-]+")


def strip_separators(raw):
    """Remove spaces and hyphens from an ISBN as typed by a person."""
    return _SEPARATORS.sub("", raw.strip())


def isbn10_check_digit(first_nine):
    """Compute the ISBN-10 check character for the first nine digits."""
    total = sum((10 - i) * int(d) for i, d in enumerate(first_nine))
    remainder = (11 - total % 11) % 11
    return "X" if remainder == 10 else str(remainder)


def isbn13_check_digit(first_twelve):
    """Compute the ISBN-13 check digit for the first twelve digits."""
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(first_twelve))
    return str((10 - total % 10) % 10)


def is_valid_isbn(raw):
    """Return True when raw is a well-formed ISBN-10 or ISBN-13 with a correct check digit."""
    isbn = strip_separators(raw).upper()
    if len(isbn) == 10 and isbn[:9].isdigit():
        return isbn10_check_digit(isbn[:9]) == isbn[9]
    if len(isbn) == 13 and isbn.isdigit():
        return isbn13_check_digit(isbn[:12]) == isbn[12]
    return False


def to_isbn13(raw):
    """Convert an ISBN-10 to ISBN-13 (prefix 978); ISBN-13 input is returned cleaned."""
    isbn = strip_separators(raw).upper()
    if len(isbn) == 13:
        return isbn
    body = "978" + isbn[:9]
    return body + isbn13_check_digit(body)


def normalize_isbn(raw):
    """Validate an ISBN and return it as ISBN-13, raising ValueError when it is invalid."""
    if not is_valid_isbn(raw):
        raise ValueError(f"invalid ISBN: {raw!r}")
    return to_isbn13(raw)
