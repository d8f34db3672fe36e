# getattr with a constant name resolves like an attribute.


class Plugin:
    def run(self):
        pass


def start(plugin):
    getattr(plugin, "run")()  # WANT: dynamic.start -> dynamic.Plugin.run
    # WANT: dynamic.start -> <builtin>.getattr


start(Plugin())  # WANT: dynamic -> dynamic.start
