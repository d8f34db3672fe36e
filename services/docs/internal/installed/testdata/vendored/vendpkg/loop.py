from . import loop
from .loop import spin as spin2
from vendpkg import *

spin = spin2


def run():
    """Run the vendored loop."""
