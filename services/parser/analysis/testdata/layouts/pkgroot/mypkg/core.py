from mypkg.sub.helpers import normalise

from . import sub


class Engine:
    def run(self, value):
        cleaned = normalise(value)
        return self.finish(cleaned)

    def finish(self, value):
        text = str(value)
        return sub.helpers.trim(text)
