# Functions stored in a dict under constant keys are found again by key.


def on_start():
    pass


def on_stop():
    pass


handlers = {"start": on_start}
handlers["stop"] = on_stop


def dispatch():
    handlers["start"]()  # WANT: dicts.dispatch -> dicts.on_start
    handlers.get("stop")()  # WANT: dicts.dispatch -> dicts.on_stop


dispatch()  # WANT: dicts -> dicts.dispatch
