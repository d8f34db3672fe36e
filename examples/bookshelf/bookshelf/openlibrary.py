"""Fetch book metadata from an Open Library style HTTP API."""

import requests

from .isbn import normalize_isbn
from .models import Book

DEFAULT_BASE_URL = "https://openlibrary.org"


class MetadataError(Exception):
    """The metadata service failed or answered something unusable."""


class OpenLibraryClient:
    """A small client for the /isbn/{isbn}.json and /search.json endpoints."""

    def __init__(self, base_url=DEFAULT_BASE_URL, timeout=10.0, session=None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()
        self.session.headers.update({"User-Agent": "bookshelf/0.3"})

    def _get_json(self, path, params=None):
        """GET a JSON document, turning HTTP and decoding problems into MetadataError."""
        try:
            response = self.session.get(f"{self.base_url}{path}", params=params, timeout=self.timeout)
            response.raise_for_status()
            return response.json()
        except requests.RequestException as exc:
            raise MetadataError(f"request to {path} failed: {exc}") from exc
        except ValueError as exc:
            raise MetadataError(f"{path} did not return JSON") from exc

    def fetch_book(self, isbn):
        """Look up one ISBN and return a Book built from the answer."""
        isbn = normalize_isbn(isbn)
        data = self._get_json(f"/isbn/{isbn}.json")
        return book_from_record(isbn, data)

    def search(self, text, limit=10):
        """Search titles and return up to limit (title, first author, year) tuples."""
        data = self._get_json("/search.json", params={"q": text, "limit": limit})
        return [parse_search_doc(doc) for doc in data.get("docs", [])[:limit]]


def parse_year(value):
    """Pull a four-digit year out of strings like "March 1998" or "1998-03-01"."""
    for token in str(value).replace("-", " ").split():
        if len(token) == 4 and token.isdigit():
            return int(token)
    return 0


def book_from_record(isbn, data):
    """Map an Open Library edition record to a Book."""
    authors = [a.get("name", "") for a in data.get("authors", []) if isinstance(a, dict)]
    return Book(isbn, data.get("title", "Untitled"), [a for a in authors if a], parse_year(data.get("publish_date", "")))


def parse_search_doc(doc):
    """Reduce a search result document to (title, first author, year)."""
    authors = doc.get("author_name") or [""]
    return doc.get("title", ""), authors[0], int(doc.get("first_publish_year") or 0)
