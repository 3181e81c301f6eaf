from __future__ import annotations

import pytest

from reel.catalog.browse import BrowseQuery, browse
from reel.catalog.details import details
from reel.errors import NotFound
from tests.catalog.conftest import Catalog


def test_show_has_ordered_seasons_with_ordered_episodes(catalog: Catalog) -> None:
    with catalog.db.session() as session:
        show = browse(session, BrowseQuery(types=["show"], limit=1)).items[0]
        item = details(session, show.id)
    assert item.children is not None
    assert [s.season for s in item.children] == [1, 2, 3]
    for season in item.children:
        assert season.type == "season" and season.parent_id == item.id
        assert season.children is not None
        assert [e.episode for e in season.children] == list(range(1, 9))
        assert all(e.parent_id == season.id and e.season == season.season for e in season.children)


def test_movie_has_no_children(catalog: Catalog) -> None:
    with catalog.db.session() as session:
        movie = details(session, catalog.generated.known_ids["Amélie"])
    assert movie.title == "Amélie" and movie.children == [] and movie.ids == {"tmdb": "241"}


def test_missing_item(catalog: Catalog) -> None:
    with catalog.db.session() as session, pytest.raises(NotFound):
        details(session, 10**9)
