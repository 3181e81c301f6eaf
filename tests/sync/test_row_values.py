"""The column values of bulk inserts say exactly what the dict rows say; GC tuning undoes itself."""

from __future__ import annotations

from datetime import UTC, datetime

from reel.catalog.rows import ITEM_COLUMNS, item_columns, item_row
from reel.sources.records import ItemRecord


def test_item_columns_match_item_row() -> None:
    now = datetime(2024, 5, 1, tzinfo=UTC)
    record = ItemRecord(
        type="movie",
        remote_id="42",
        title="The  Godfather",
        original_title="Il Padrino",
        year=1972,
        genres=["Drama", "Crime"],
        artwork={"poster": "p.jpg"},
        ids={"tmdb": "238", "imdb": "tt0068646"},
        stream={"ext": "mkv"},
        extra={"k": 1},
    )
    kw = {"source_id": 3, "library_id": None, "category_id": 7, "parent_id": None}
    row = item_row(record, **kw, now=now, hash_="h")
    other = ItemRecord(type="episode", remote_id="e1", title="Pilot", season=1, episode=1)
    columns = item_columns([record, other], 3, [None, 4], [7, None], [None, 9], now, ["h", "g"])
    assert tuple(row) == ITEM_COLUMNS
    assert dict(zip(ITEM_COLUMNS, [c[0] for c in columns], strict=True)) == row
    second = item_row(other, source_id=3, library_id=4, parent_id=9, now=now, hash_="g")
    assert dict(zip(ITEM_COLUMNS, [c[1] for c in columns], strict=True)) == second
    assert item_columns([], 3, [], [], [], now, []) == [[] for _ in ITEM_COLUMNS]
    assert row["search_title"] == "the godfather" and row["sort_key"] == "godfather"
