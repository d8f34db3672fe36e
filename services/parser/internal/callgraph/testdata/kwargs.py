# Functions passed by keyword, and through **kwargs.


def on_done():
    pass


def on_fail():
    pass


def run(callback=None, **hooks):
    callback()  # WANT: kwargs.run -> kwargs.on_done
    hooks["error"]()  # WANT: kwargs.run -> kwargs.on_fail


run(callback=on_done, error=on_fail)  # WANT: kwargs -> kwargs.run
