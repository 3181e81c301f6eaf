"""The fast fold (translate-based combining strip, cache) must equal the reference one."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from reel.catalog import text

_SPACE = re.compile(r"\s+")


def reference_fold(value: str) -> str:
    """The original, obviously-correct definition."""
    value = value.translate(text._SPECIAL)
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACE.sub(" ", stripped.casefold().translate(text._SPECIAL)).strip()


@settings(max_examples=400)
@given(st.text())
def test_fold_matches_reference(value: str) -> None:
    assert text.fold(value) == reference_fold(value)
    assert text.fold(value) == reference_fold(value)  # second call: from the cache


def test_fold_matches_reference_on_every_combining_mark() -> None:
    marks = "".join(chr(cp) for cp in range(0x110000) if unicodedata.combining(chr(cp)))
    sample = "e" + marks + " Ærø Ǆ ﬁ ẞ"
    assert text.fold(sample) == reference_fold(sample)


def test_fold_matches_reference_on_basic_plane_marks_and_special_letters() -> None:
    """Text without astral characters takes the regex path; special letters the table."""
    marks = "".join(chr(cp) for cp in range(0x10000) if unicodedata.combining(chr(cp)))
    for sample in ("Ωmega" + marks + " Łódź", "Straße\u2003Ærø\tþ", "ǅemal ŉ ſ", "Café 🎬 Ø"):
        assert text.fold(sample) == reference_fold(sample)


def test_cache_is_bounded() -> None:
    for n in range(text._CACHE_MAX + 10):
        text.fold(f"t{n}")
    assert len(text._CACHE) <= text._CACHE_MAX


def reference_sort_key(title: str, sort_title: str | None = None) -> str:
    key = reference_fold(sort_title or title)
    if sort_title is None:
        for article in text._ARTICLES:
            if key.startswith(article) and len(key) > len(article):
                return key[len(article) :]
    return key


def reference_search_text(title: str, original_title: str | None) -> str:
    parts = [" ".join(text._WORD.findall(reference_fold(title)))]
    if original_title and original_title != title:
        parts.append(" ".join(text._WORD.findall(reference_fold(original_title))))
    return " ".join(p for p in parts if p)


article_titles = st.one_of(
    st.text(),
    st.tuples(st.sampled_from([*text._ARTICLES, "The", "L'", "LA  "]), st.text()).map("".join),
)


@settings(max_examples=400)
@given(article_titles, st.one_of(st.none(), st.text(max_size=5)))
def test_sort_key_matches_reference(title: str, sort_title: str | None) -> None:
    assert text.sort_key(title) == reference_sort_key(title)
    assert text.sort_key(title, sort_title) == reference_sort_key(title, sort_title)


@settings(max_examples=300)
@given(article_titles, st.one_of(st.none(), article_titles))
def test_search_text_and_cached_derivation_match_reference(title: str, other: str | None) -> None:
    from reel.catalog.rows import derived_text

    expected = reference_search_text(title, other)
    assert text.search_text(title, other) == expected
    for _ in range(2):  # computed, then cached
        assert derived_text(title, None, other) == (
            reference_sort_key(title),
            " ".join(text._WORD.findall(reference_fold(title))),
            expected,
        )
