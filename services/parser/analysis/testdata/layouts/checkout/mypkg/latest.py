def newest(items):
    ordered = sorted(items)
    return ordered[-1]


def placeholder(items):
    """Not written yet."""
    raise NotImplementedError
