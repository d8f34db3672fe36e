# Functions passed as arguments are called through the parameter.


def double(x):
    return x * 2


def shout(text):
    return text.upper()


def apply(fn, value):
    return fn(value)  # WANT: args.apply -> args.double
    # WANT: args.apply -> args.shout


def main():
    apply(double, 3)  # WANT: args.main -> args.apply
    apply(shout, "hi")


main()  # WANT: args -> args.main
