"""A tiny search language for the catalogue: `tag:scifi and (author:le guin or year>1970)`.

parse_expression and parse_term call each other: a parenthesised term holds a whole expression.
"""

import re

_TOKEN = re.compile(r"\s*(\(|\)|and\b|or\b|not\b|[a-z]+[:<>=][^\s()]+)", re.IGNORECASE)


def tokenize(text):
    """Split a query into tokens, raising ValueError on anything it does not understand."""
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise ValueError(f"unexpected input at {pos}: {text[pos:pos + 10]!r}")
        tokens.append(match.group(1).lower() if match.group(1).isalpha() else match.group(1))
        pos = match.end()
    return tokens


def parse_expression(tokens, pos=0):
    """Parse `term (and|or term)*` starting at pos; return (tree, next position)."""
    left, pos = parse_term(tokens, pos)
    while pos < len(tokens) and tokens[pos] in ("and", "or"):
        op = tokens[pos]
        right, pos = parse_term(tokens, pos + 1)
        left = (op, left, right)
    return left, pos


def parse_term(tokens, pos):
    """Parse a filter, a negation or a parenthesised expression."""
    if pos >= len(tokens):
        raise ValueError("query ends too early")
    token = tokens[pos]
    if token == "not":
        inner, pos = parse_term(tokens, pos + 1)
        return ("not", inner), pos
    if token == "(":
        inner, pos = parse_expression(tokens, pos + 1)
        if pos >= len(tokens) or tokens[pos] != ")":
            raise ValueError("missing closing parenthesis")
        return inner, pos + 1
    return parse_filter(token), pos + 1


def parse_filter(token):
    """Turn `field:value`, `year>1970` or `rating>=4` into a (field, op, value) filter."""
    match = re.match(r"([a-z]+)(>=|<=|[:<>=])(.+)", token)
    if not match:
        raise ValueError(f"not a filter: {token!r}")
    field, op, value = match.groups()
    if field in ("year", "rating"):
        value = float(value)
    return ("filter", field, op, value)


def parse_query(text):
    """Parse a whole query string into a tree."""
    tokens = tokenize(text)
    tree, pos = parse_expression(tokens)
    if pos != len(tokens):
        raise ValueError(f"unexpected {tokens[pos]!r}")
    return tree


def evaluate(tree, book):
    """Return True when the book satisfies the parsed query tree."""
    kind = tree[0]
    if kind == "and":
        return evaluate(tree[1], book) and evaluate(tree[2], book)
    if kind == "or":
        return evaluate(tree[1], book) or evaluate(tree[2], book)
    if kind == "not":
        return not evaluate(tree[1], book)
    return match_filter(tree, book)


def match_filter(flt, book):
    """Apply one (field, op, value) filter to a book."""
    _, field, op, value = flt
    if field == "tag":
        return value.lower() in book.tags
    if field == "author":
        return any(value.lower() in a.lower() for a in book.authors)
    if field == "title":
        return value.lower() in book.title.lower()
    actual = getattr(book, field, None)
    if actual is None:
        return False
    return {"<": actual < value, ">": actual > value, "=": actual == value, ":": actual == value,
            ">=": actual >= value, "<=": actual <= value}[op]


def filter_books(shelf, text):
    """Books on the shelf that match the query text."""
    tree = parse_query(text)
    return [book for book in shelf.books() if evaluate(tree, book)]
