"""Recommend books from the shelf by shared tags and authors."""

from collections import Counter


def tag_profile(books):
    """Count how often each tag occurs among the given books."""
    counts = Counter()
    for book in books:
        counts.update(book.tags)
    return counts


def similarity(book, profile):
    """Score a book against a tag profile: the sum of its tags' counts, weighted by rating."""
    return sum(profile.get(tag, 0) for tag in book.tags) * (1 + book.rating / 5)


def recommend(shelf, liked_isbns, limit=5):
    """Books similar to the liked ones, best first, excluding the liked books themselves."""
    liked = [b for b in (shelf.get(i) for i in liked_isbns) if b is not None]
    profile = tag_profile(liked)
    liked_set = {b.isbn for b in liked}
    candidates = [b for b in shelf.books() if b.isbn not in liked_set]
    ranked = sorted(candidates, key=lambda b: similarity(b, profile), reverse=True)
    return [b for b in ranked if similarity(b, profile) > 0][:limit]


def top_authors(shelf, n=3):
    """The n authors with the most books on the shelf."""
    counts = Counter(a for b in shelf.books() for a in b.authors)
    return [name for name, _ in counts.most_common(n)]
