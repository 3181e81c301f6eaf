"""Filters, sorts and keyset pagination, on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reel.catalog.browse import BrowseQuery, SortKey, browse
from reel.catalog.views import ItemView
from reel.errors import InvalidInput, NotFound
from tests.catalog.conftest import Catalog


def walk(catalog: Catalog, query: BrowseQuery) -> list[ItemView]:
    """Every item of a query, page by page."""
    seen: list[ItemView] = []
    after = None
    with catalog.db.session() as session:
        while True:
            page = browse(session, BrowseQuery(**{**query.__dict__, "after": after}))
            seen.extend(page.items)
            if page.next is None:
                return seen
            after = page.next


def sort_value(item: ItemView, sort: str) -> Any:
    if sort == "year":
        return item.year if item.year is not None else -1
    if sort == "rating":
        return item.rating if item.rating is not None else -1.0
    if sort == "added":
        return item.added_at
    from reel.catalog.text import sort_key

    return sort_key(item.title)


@pytest.mark.parametrize("sort", ["title", "year", "added", "rating"])
@pytest.mark.parametrize("desc", [False, True])
def test_pages_cover_everything_once_in_order(catalog: Catalog, sort: SortKey, desc: bool) -> None:
    items = walk(catalog, BrowseQuery(types=["movie"], sort=sort, desc=desc, limit=97))
    assert len(items) == catalog.generated.counts["movie"]
    assert len({i.id for i in items}) == len(items)
    keys = [(sort_value(i, sort), i.id) for i in items]
    assert keys == sorted(keys, reverse=desc)


def test_filters_combine(catalog: Catalog) -> None:
    with catalog.db.session() as session:
        page = browse(
            session,
            BrowseQuery(
                types=["movie"],
                genre="Drama",
                year_min=1990,
                year_max=2000,
                rating_min=5,
                limit=500,
            ),
        )
    assert page.items
    for item in page.items:
        assert item.type == "movie"
        assert "Drama" in item.genres
        assert item.year is not None and 1990 <= item.year <= 2000
        assert item.rating is not None and item.rating >= 5


def test_category_and_source_filters(catalog: Catalog) -> None:
    with catalog.db.session() as session:
        news = browse(session, BrowseQuery(source="IPTV Provider", limit=500)).items
        assert news and all(i.type == "channel" and i.source == "IPTV Provider" for i in news)
        with pytest.raises(NotFound):
            browse(session, BrowseQuery(source="nope"))


def test_watched_filter_uses_the_users_state(catalog: Catalog) -> None:
    from reel.catalog.models import PlaybackState
    from reel.catalog.users import resolve_user

    with catalog.db.session() as session:
        user = resolve_user(session)
        movies = browse(session, BrowseQuery(types=["movie"], limit=3)).items
        session.add(PlaybackState(user_id=user.id, item_id=movies[0].id, played=True, play_count=1))
    try:
        with catalog.db.session() as session:
            watched = browse(session, BrowseQuery(types=["movie"], watched=True), user.id).items
            unwatched = browse(
                session, BrowseQuery(types=["movie"], watched=False, limit=500), user.id
            )
        assert [i.id for i in watched] == [movies[0].id]
        assert watched[0].played and watched[0].play_count == 1
        assert movies[0].id not in {i.id for i in unwatched.items}
    finally:
        with catalog.db.session() as session:
            session.query(PlaybackState).delete()


def test_invalid_cursor_and_limit(catalog: Catalog) -> None:
    with catalog.db.session() as session:
        page = browse(session, BrowseQuery(types=["movie"], sort="year", limit=5))
        assert page.next
        with pytest.raises(InvalidInput):
            browse(session, BrowseQuery(types=["movie"], sort="title", after=page.next))
        with pytest.raises(InvalidInput):
            browse(session, BrowseQuery(after="not-a-cursor"))
        with pytest.raises(InvalidInput):
            browse(session, BrowseQuery(limit=0))


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=200) | st.binary(max_size=100).map(lambda b: b.hex()))
def test_garbage_cursors_are_refused_cleanly(catalog: Catalog, garbage: str) -> None:
    with catalog.db.session() as session, contextlib.suppress(InvalidInput):
        browse(session, BrowseQuery(after=garbage, limit=3))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sort=st.sampled_from(["title", "year", "added", "rating"]),
    desc=st.booleans(),
    limit=st.integers(1, 400),
)
def test_cursor_round_trip_continues_exactly_after_last_row(
    catalog: Catalog, sort: SortKey, desc: bool, limit: int
) -> None:
    with catalog.db.session() as session:
        whole = browse(
            session, BrowseQuery(types=["channel", "show"], sort=sort, desc=desc, limit=limit + 5)
        )
        first = browse(
            session, BrowseQuery(types=["channel", "show"], sort=sort, desc=desc, limit=limit)
        )
        if first.next is None:
            return
        second = browse(
            session,
            BrowseQuery(types=["channel", "show"], sort=sort, desc=desc, limit=5, after=first.next),
        )
    assert [i.id for i in first.items + second.items] == [i.id for i in whole.items]
