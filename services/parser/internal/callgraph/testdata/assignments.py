# A name bound to a function by assignment, chained and swapped.


def first():
    pass


def second():
    pass


alias = first
other = alias
other()  # WANT: assignments -> assignments.first

a, b = first, second
b()  # WANT: assignments -> assignments.second
a, b = b, a
a()
