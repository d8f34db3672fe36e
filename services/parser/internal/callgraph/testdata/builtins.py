# Builtins are recorded as builtins; a function given to one is not called by
# this module directly.


def square(n):
    return n * n


def total(values):
    return sum(values)  # WANT: builtins.total -> <builtin>.sum


numbers = list(range(4))  # WANT: builtins -> <builtin>.list
# WANT: builtins -> <builtin>.range
print(total(numbers), len(numbers))  # WANT: builtins -> <builtin>.print
# WANT: builtins -> builtins.total
# WANT: builtins -> <builtin>.len
