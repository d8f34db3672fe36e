from setuptools import setup


def version():
    with open("VERSION") as fh:
        return fh.read().strip()


setup(name="mypkg", version=version())
