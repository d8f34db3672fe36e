"""Books and shelves."""

from dataclasses import dataclass, field

from .isbn import normalize_isbn
from .text import slugify, title_case


@dataclass
class Book:
    """One book in the catalogue."""

    isbn: str
    title: str
    authors: list = field(default_factory=list)
    year: int = 0
    tags: set = field(default_factory=set)
    rating: float = 0.0

    def __post_init__(self):
        self.isbn = normalize_isbn(self.isbn)
        self.title = title_case(self.title)

    @property
    def slug(self):
        """A URL-safe name for the book, from its title and year."""
        return slugify(f"{self.title} {self.year}")

    def add_tag(self, tag):
        """Tag the book, ignoring case and surrounding spaces."""
        self.tags.add(tag.strip().lower())

    def matches(self, term):
        """Return True when term occurs in the title, an author or a tag."""
        term = term.lower()
        haystack = [self.title.lower(), *(a.lower() for a in self.authors), *self.tags]
        return any(term in h for h in haystack)

    def to_dict(self):
        """Serialise the book to plain JSON-compatible types."""
        return {
            "isbn": self.isbn,
            "title": self.title,
            "authors": list(self.authors),
            "year": self.year,
            "tags": sorted(self.tags),
            "rating": self.rating,
        }

    @classmethod
    def from_dict(cls, data):
        """Build a Book from the output of to_dict."""
        book = cls(data["isbn"], data["title"], list(data.get("authors", [])), int(data.get("year", 0)))
        for tag in data.get("tags", []):
            book.add_tag(tag)
        book.rating = float(data.get("rating", 0.0))
        return book


class Shelf:
    """An ordered collection of books indexed by ISBN."""

    def __init__(self, name):
        self.name = name
        self._books = {}

    def __len__(self):
        return len(self._books)

    def add(self, book):
        """Add a book, replacing any earlier copy with the same ISBN."""
        self._books[book.isbn] = book
        return book

    def remove(self, isbn):
        """Remove a book by ISBN and return it; KeyError when it is not on the shelf."""
        return self._books.pop(normalize_isbn(isbn))

    def get(self, isbn):
        """Return the book with this ISBN, or None."""
        return self._books.get(normalize_isbn(isbn))

    def books(self):
        """Books sorted by title."""
        return sorted(self._books.values(), key=lambda b: b.title)

    def search(self, term):
        """Books whose title, authors or tags contain term."""
        return [b for b in self.books() if b.matches(term)]

    def by_author(self):
        """Group the books by author name."""
        groups = {}
        for book in self.books():
            for author in book.authors:
                groups.setdefault(author, []).append(book)
        return groups


class RatedShelf(Shelf):
    """A shelf that also keeps the average rating up to date."""

    def __init__(self, name):
        super().__init__(name)
        self.total_rating = 0.0

    def add(self, book):
        """Add a book and account for its rating."""
        previous = self._books.get(book.isbn)
        if previous is not None:
            self.total_rating -= previous.rating
        self.total_rating += book.rating
        return super().add(book)

    def average_rating(self):
        """Mean rating of the books on the shelf, 0 for an empty shelf."""
        return self.total_rating / len(self) if len(self) else 0.0
