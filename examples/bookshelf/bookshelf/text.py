"""Small text helpers for titles and names."""

import re
import unicodedata

_SMALL_WORDS = {"a", "an", "and", "as", "at", "but", "by", "for", "in", "of", "on", "or", "the", "to"}


def strip_accents(text):
    """Remove diacritics, so that "Émile" becomes "Emile"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def slugify(text):
    """Lower-case ASCII words joined by hyphens, for file names and URLs."""
    words = re.findall(r"[a-z0-9]+", strip_accents(text).lower())
    return "-".join(words)


def title_case(title):
    """Capitalise a title the way publishers do, keeping short words lower case."""
    words = title.split()
    result = []
    for i, word in enumerate(words):
        if 0 < i < len(words) - 1 and word.lower() in _SMALL_WORDS:
            result.append(word.lower())
        else:
            result.append(word[:1].upper() + word[1:])
    return " ".join(result)


def author_sort_key(name):
    """Sort key for an author: surname first, accents ignored."""
    parts = strip_accents(name).split()
    if not parts:
        return ""
    return " ".join([parts[-1], *parts[:-1]]).lower()
