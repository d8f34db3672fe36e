def survives():
    return 1


def broken(:
    survives()


def after_error():
    return survives()
