# Lambdas are functions of their own, named after their scope.


def helper():
    return 2


square = lambda x: x * helper()  # WANT: lambdas.<lambda1> -> lambdas.helper


def use():
    pick = lambda: helper  # noqa: E731
    pick()()  # WANT: lambdas.use -> lambdas.use.<lambda1>
    # WANT: lambdas.use -> lambdas.helper
    return square(3)  # WANT: lambdas.use -> lambdas.<lambda1>


use()  # WANT: lambdas -> lambdas.use
