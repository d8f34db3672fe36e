# Plain calls between module-level functions, and a call of a call's result.


def leaf():
    pass


def maker():
    return leaf


def middle():
    leaf()  # WANT: direct_calls.middle -> direct_calls.leaf
    maker()()  # WANT: direct_calls.middle -> direct_calls.maker


middle()  # WANT: direct_calls -> direct_calls.middle
