"""The tuple rows of bulk inserts say exactly what the dict rows say; GC tuning undoes itself."""

from __future__ import annotations

from datetime import UTC, datetime

from reel.catalog.rows import ITEM_COLUMNS, item_row, item_values
from reel.sources.records import ItemRecord


def test_item_values_match_item_row() -> None:
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
    values = item_values(record, 3, None, 7, None, now, "h")
    assert tuple(row) == ITEM_COLUMNS
    assert dict(zip(ITEM_COLUMNS, values, strict=True)) == row
    assert row["search_title"] == "the godfather" and row["sort_key"] == "godfather"
