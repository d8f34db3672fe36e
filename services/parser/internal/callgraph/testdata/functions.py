# Nested functions, closures returned and called, recursion.


def outer():
    def inner():
        return 1

    inner()  # WANT: functions.outer -> functions.outer.inner
    return inner


def fact(n):
    return 1 if n < 2 else n * fact(n - 1)  # WANT: functions.fact -> functions.fact


outer()()  # WANT: functions -> functions.outer
# WANT: functions -> functions.outer.inner
fact(5)  # WANT: functions -> functions.fact
