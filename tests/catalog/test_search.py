"""Search ranking, folding, typo tolerance and hostile input, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reel.catalog.search import SearchQuery, search
from reel.errors import InvalidInput
from tests.catalog.conftest import Catalog


def titles(catalog: Catalog, query: str, **kw: object) -> list[str]:
    with catalog.db.session() as session:
        page = search(session, SearchQuery(query, **kw))  # type: ignore[arg-type]
    return [item.title for item in page.items]


def test_prefix_as_you_type_finds_word_inside_title(catalog: Catalog) -> None:
    assert titles(catalog, "godf")[:3] == [
        "The Godfather",
        "The Godfather Part II",
        "The Godfather Part III",
    ]


def test_exact_title_ranks_first(catalog: Catalog) -> None:
    assert titles(catalog, "the godfather part ii")[0] == "The Godfather Part II"
    assert titles(catalog, "The Godfather")[0] == "The Godfather"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("amelie", "Amélie"),
        ("AMÉLIE", "Amélie"),
        ("sorensen", "Sørensen's Choice"),
        ("leon", "Léon"),
        ("der himmel uber", "Der Himmel über Berlin"),
        ("千と千尋", "千と千尋の神隠し"),
    ],
)
def test_case_and_accent_insensitive(catalog: Catalog, query: str, expected: str) -> None:
    assert expected in titles(catalog, query, limit=50)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("godfater", "The Godfather"),
        ("lord of the rngs", "The Lord of the Rings"),
        ("amelei", "Amélie"),
    ],
)
def test_typos_still_find_the_title(catalog: Catalog, query: str, expected: str) -> None:
    assert expected in titles(catalog, query)[:3]


def test_multi_word_prefixes_match_in_any_position(catalog: Catalog) -> None:
    assert titles(catalog, "lord ring") == ["The Lord of the Rings"]


def test_title_prefix_outranks_word_prefix(catalog: Catalog) -> None:
    result = titles(catalog, "spirited", limit=5)
    assert result[0] == "Spirited Away"


def test_filter_by_type_and_source(catalog: Catalog) -> None:
    with catalog.db.session() as session:
        channels = search(session, SearchQuery("news", types=["channel"], limit=20)).items
        assert channels and all(i.type == "channel" for i in channels)
        iptv = search(session, SearchQuery("news", source="IPTV Provider", limit=20)).items
        assert iptv and all(i.source == "IPTV Provider" for i in iptv)


def test_pages_do_not_overlap(catalog: Catalog) -> None:
    with catalog.db.session() as session:
        first = search(session, SearchQuery("the", limit=10))
        assert first.next
        second = search(session, SearchQuery("the", limit=10, after=first.next))
    assert {i.id for i in first.items}.isdisjoint({i.id for i in second.items})


def test_cursor_of_another_query_is_refused(catalog: Catalog) -> None:
    with catalog.db.session() as session:
        first = search(session, SearchQuery("the", limit=10))
        assert first.next
        with pytest.raises(InvalidInput):
            search(session, SearchQuery("dark", limit=10, after=first.next))


HOSTILE = [
    '"',
    '""',
    "*",
    "-",
    "NEAR(",
    "NEAR(a b",
    "AND",
    "OR OR",
    "a AND OR NOT b",
    "(((",
    ")",
    "x" * 10_000,
    "god\x00father",
    "🎬🍿",
    "שלום עולם",
    "\u202egodfather",
    "'; DROP TABLE items; --",
    "title:godfather",
    "^god",
    "%_",
    "\\",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_input_never_errors(catalog: Catalog, query: str) -> None:
    titles(catalog, query)


def test_nul_byte_is_a_separator(catalog: Catalog) -> None:
    assert "The Godfather" in titles(catalog, "the\x00godfather")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=300))
def test_any_text_is_a_valid_query(catalog: Catalog, query: str) -> None:
    with catalog.db.session() as session:
        page = search(session, SearchQuery(query, limit=5))
    assert len(page.items) <= 5
