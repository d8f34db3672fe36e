# Functions in lists and tuples, by index, by iteration and by unpacking.


def one():
    pass


def two():
    pass


def three():
    pass


steps = [one, two]
steps.append(three)


def run():
    steps[0]()  # WANT: lists.run -> lists.one
    first, *rest = (two, three)
    first()  # WANT: lists.run -> lists.two
    for step in rest:
        step()  # WANT: lists.run -> lists.three


run()  # WANT: lists -> lists.run
