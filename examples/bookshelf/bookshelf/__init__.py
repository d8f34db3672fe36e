"""bookshelf: a personal library catalogue."""

from .models import Book, Shelf
from .isbn import normalize_isbn, is_valid_isbn

__all__ = ["Book", "Shelf", "normalize_isbn", "is_valid_isbn"]
__version__ = "0.3.1"
