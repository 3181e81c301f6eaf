"""Text folding shared by indexing and querying, so both sides agree on one spelling.

Unicode decomposition strips accents (é → e) but leaves letters that are not composed
(ø, æ, ß, ł, đ, þ, œ), which people type as their ASCII stand-ins; they are mapped here.
Non-Latin scripts are kept as they are so CJK or Cyrillic titles stay searchable.
"""

from __future__ import annotations

import re
import unicodedata

_SPECIAL = str.maketrans(
    {
        "ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ß": "ss",
        "ẞ": "ss", "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ð": "d", "Ð": "d",
        "þ": "th", "Þ": "th", "ı": "i", "ħ": "h", "Ħ": "h", "ŧ": "t", "Ŧ": "t",
        "ŀ": "l", "Ŀ": "l", "ĸ": "k", "ŉ": "n", "ſ": "s",
    }
)  # fmt: skip
_WORD = re.compile(r"\w+", re.UNICODE)
_SPACE = re.compile(r"\s+")
_ARTICLES = ("the ", "a ", "an ", "le ", "la ", "les ", "l'", "der ", "die ", "das ",
             "el ", "los ", "las ", "il ", "lo ", "gli ", "de ", "het ", "een ")  # fmt: skip
_SPACED_ARTICLES = frozenset(a for a in _ARTICLES if a.endswith(" ") and " " not in a[:-1])
_GLUED_ARTICLES = tuple(a for a in _ARTICLES if a not in _SPACED_ARTICLES)


# Every code point with a non-zero combining class, deleted in one `str.translate`
# (the same predicate as `unicodedata.combining`, without a Python call per character).
# None lies above U+1E94A; the bound keeps the import cheap.
_COMBINING = {cp: None for cp in range(0x20000) if unicodedata.combining(chr(cp))}


def _char_class(code_points: list[int]) -> str:
    """A regex character class of `code_points`, as ranges."""
    ranges: list[tuple[int, int]] = []
    for cp in sorted(code_points):
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    parts = (re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in ranges)
    return "[" + "".join(parts) + "]"


# `str.translate` looks every character of a non-ASCII string up in its table through a
# Python int; a regex character class tests it in C, in constant time when the class lies
# in the Basic Multilingual Plane. So marks are deleted with a regex unless the text has
# characters beyond that plane (rare: then the table), and the special-letter table is
# only applied to the few titles that hold one.
_COMBINING_RUN = re.compile(_char_class([cp for cp in _COMBINING if cp <= 0xFFFF]) + "+")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_HAS_SPECIAL = re.compile(_char_class([ord(ch) for ch in "øØæÆœŒßẞłŁđĐðÐþÞıħĦŧŦŀĿĸŉſ"]))
# Titles repeat a lot in large catalogs (and each row folds its title more than once).
_CACHE: dict[str, str] = {}
_CACHE_MAX = 50_000


def fold(text: str) -> str:
    """Lower-case, accent-free, special letters spelled out, whitespace collapsed."""
    found = _CACHE.get(text)
    if found is not None:
        return found
    if text.isascii():  # most titles: nothing to decompose, same result, 5x faster
        # split/join collapses exactly the ASCII characters `\s` matches, 4x faster.
        result = " ".join(text.lower().split())
    else:
        if _HAS_SPECIAL.search(text):
            text = text.translate(_SPECIAL)
        decomposed = unicodedata.normalize("NFKD", text)
        if _ASTRAL.search(decomposed):
            stripped = decomposed.translate(_COMBINING)
        else:
            stripped = _COMBINING_RUN.sub("", decomposed)
        folded = stripped.casefold()
        if _HAS_SPECIAL.search(folded):
            folded = folded.translate(_SPECIAL)
        # split/join collapses exactly what `\s+` matches (both use Unicode whitespace).
        result = " ".join(folded.split())
    if len(_CACHE) >= _CACHE_MAX:
        _CACHE.clear()
    _CACHE[text] = result
    return result


def words(text: str) -> list[str]:
    """The folded words of a text: what the full-text index tokenises into."""
    return _WORD.findall(fold(text))


def sort_key(title: str, sort_title: str | None = None) -> str:
    """Folded title without a leading article, so "The Godfather" sorts under G."""
    key = fold(sort_title or title)
    if sort_title is None:
        # Articles never prefix one another, so at most one matches: the first word
        # (with its space) is looked up instead of trying each article in turn.
        space = key.find(" ")
        if space > 0 and key[: space + 1] in _SPACED_ARTICLES and len(key) > space + 1:
            return key[space + 1 :]
        for article in _GLUED_ARTICLES:
            if key.startswith(article) and len(key) > len(article):
                return key[len(article) :]
    return key


def search_title(title: str) -> str:
    """The folded title as one string of words, compared for exact and prefix matches."""
    return " ".join(words(title))


def search_text(
    title: str, original_title: str | None = None, title_words: str | None = None
) -> str:
    """What the full-text index holds for an item: its title and original title.

    `title_words` is `search_title(title)` when the caller has it already.
    """
    words_ = title_words if title_words is not None else search_title(title)
    if original_title and original_title != title:
        other = search_title(original_title)
        if other:
            return f"{words_} {other}" if words_ else other
    return words_
