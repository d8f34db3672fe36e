"""A test client shipped as library code (like werkzeug.test): not a test."""
from mypkg.latest import newest


class Client:
    def open(self, path):
        response = newest([path])
        return response.upper()

    def __repr__(self):
        name = type(self).__name__
        return "<" + name + ">"
