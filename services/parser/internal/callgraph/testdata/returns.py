# Values flow out of returns, through several functions and branches.


def red():
    pass


def blue():
    pass


def pick(flag):
    if flag:
        return red
    return blue


def relay(flag):
    return pick(flag)  # WANT: returns.relay -> returns.pick


relay(True)()  # WANT: returns -> returns.relay
# WANT: returns -> returns.red
# WANT: returns -> returns.blue
