"""A src/ layout: the package is imported as mypkg, not src.mypkg."""
from .core import Engine

__all__ = ["Engine"]
