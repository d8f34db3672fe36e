# Raising a class instantiates it; handlers call what they bind.


class AppError(Exception):
    def __init__(self, message):
        self.message = message


def cleanup():
    pass


def risky():
    raise AppError("boom")  # WANT: exceptions.risky -> exceptions.AppError.__init__


def main():
    try:
        risky()  # WANT: exceptions.main -> exceptions.risky
    except AppError as err:
        cleanup()  # WANT: exceptions.main -> exceptions.cleanup
        return err.message


main()  # WANT: exceptions -> exceptions.main
