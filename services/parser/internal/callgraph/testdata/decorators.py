# A decorator is called with the function it decorates; the wrapper it
# returns is what callers reach.


def logged(fn):
    def wrapper(*args):
        return fn(*args)  # WANT: decorators.logged.wrapper -> decorators.greet

    return wrapper


@logged  # WANT: decorators -> decorators.logged
def greet(name):
    return name


greet("ada")  # WANT: decorators -> decorators.logged.wrapper
