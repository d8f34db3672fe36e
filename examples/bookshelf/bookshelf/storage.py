"""Saving and loading shelves as JSON files."""

import json
import os
import tempfile

from .models import Book, RatedShelf


class ShelfStore:
    """Keeps each shelf in its own JSON file under a directory."""

    def __init__(self, root):
        self.root = root
        os.makedirs(root, exist_ok=True)

    def path_for(self, name):
        """The file that holds the shelf called name."""
        return os.path.join(self.root, f"{name}.json")

    def save(self, shelf):
        """Write the shelf atomically, so a crash never leaves half a file."""
        data = {"name": shelf.name, "books": [b.to_dict() for b in shelf.books()]}
        fd, tmp = tempfile.mkstemp(dir=self.root, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, sort_keys=True)
        os.replace(tmp, self.path_for(shelf.name))

    def load(self, name):
        """Read a shelf back; a missing file gives an empty shelf."""
        shelf = RatedShelf(name)
        try:
            with open(self.path_for(name), encoding="utf-8") as f:
                data = json.load(f)
        except FileNotFoundError:
            return shelf
        for item in data.get("books", []):
            shelf.add(Book.from_dict(item))
        return shelf

    def names(self):
        """Names of every saved shelf, sorted."""
        return sorted(f[:-5] for f in os.listdir(self.root) if f.endswith(".json"))
