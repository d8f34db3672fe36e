"""A vendored copy that carries no metadata."""

__version__ = "0.9.1"

from .loop import *
