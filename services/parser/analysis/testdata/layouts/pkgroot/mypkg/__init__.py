"""A package passed as the source itself: its name is kept."""
from mypkg.core import Engine


def check_compatibility(version):
    major = version.split(".")[0]
    if major != "2":
        raise RuntimeError("unsupported version " + version)
    return Engine().run(major)
