"""Turning adapter records into `items` rows: derived columns and the content hash.

Shared by the sync engine and the catalog generator so that both derive sort and search
columns the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reel.catalog import text
from reel.catalog.types import utcnow
from reel.sources.records import ItemRecord

# (title, sort_title, original_title) -> (sort_key, search_title, search_text): titles
# repeat a lot in large catalogs, and deriving them is most of a row's Python cost.
_DERIVED: dict[tuple[str, str | None, str | None], tuple[str, str, str]] = {}
_DERIVED_MAX = 50_000


def derived_text(
    title: str, sort_title: str | None, original_title: str | None
) -> tuple[str, str, str]:
    """The sort key, search title and full-text value of a title (cached)."""
    key = (title, sort_title, original_title)
    found = _DERIVED.get(key)
    if found is None:
        words = text.search_title(title)
        found = (
            text.sort_key(title, sort_title),
            words,
            text.search_text(title, original_title, words),
        )
        if len(_DERIVED) >= _DERIVED_MAX:
            _DERIVED.clear()
        _DERIVED[key] = found
    return found


# The column order of `item_values`: `item_row`'s keys, so both describe the same row.
ITEM_COLUMNS = (
    "source_id", "library_id", "category_id", "parent_id", "remote_id", "type", "title",
    "sort_title", "original_title", "sort_key", "search_title", "search_text", "year",
    "overview", "duration_ms", "rating", "genres", "added_at", "updated_at", "artwork",
    "tmdb_id", "imdb_id", "tvdb_id", "season", "episode", "channel_number", "epg_id",
    "stream", "extra", "content_hash", "created_at", "modified_at",
)  # fmt: skip


def item_values(
    record: ItemRecord,
    source_id: int,
    library_id: int | None,
    category_id: int | None,
    parent_id: int | None,
    now: datetime,
    hash_: str,
) -> tuple[Any, ...]:
    """`item_row` as a tuple in ITEM_COLUMNS order, for bulk inserts of many rows.

    A dict per row (and reading it back column by column) was a good part of a large
    sync's Python time. JSON columns hold the record's own containers (not copies): the
    values are encoded before the record could change.
    """
    ids = record.ids
    sort_key, title_words, search_text = derived_text(
        record.title, record.sort_title, record.original_title
    )
    return (
        source_id,
        library_id,
        category_id,
        parent_id,
        record.remote_id,
        record.type,
        record.title,
        record.sort_title,
        record.original_title,
        sort_key,
        title_words,
        search_text,
        record.year,
        record.overview,
        record.duration_ms,
        record.rating,
        record.genres,
        record.added_at or now,
        record.updated_at,
        record.artwork,
        ids.get("tmdb"),
        ids.get("imdb"),
        ids.get("tvdb"),
        record.season,
        record.episode,
        record.channel_number,
        record.epg_id,
        record.stream,
        record.extra,
        hash_,
        now,
        now,
    )


def item_row(
    record: ItemRecord,
    *,
    source_id: int,
    library_id: int | None = None,
    category_id: int | None = None,
    parent_id: int | None = None,
    now: datetime | None = None,
    hash_: str | None = None,
) -> dict[str, Any]:
    """The column values of an `items` row for `record` (without `id`)."""
    now = now or utcnow()
    ids = record.ids
    sort_key, title_words, search_text = derived_text(
        record.title, record.sort_title, record.original_title
    )
    return {
        "source_id": source_id,
        "library_id": library_id,
        "category_id": category_id,
        "parent_id": parent_id,
        "remote_id": record.remote_id,
        "type": record.type,
        "title": record.title,
        "sort_title": record.sort_title,
        "original_title": record.original_title,
        "sort_key": sort_key,
        "search_title": title_words,
        "search_text": search_text,
        "year": record.year,
        "overview": record.overview,
        "duration_ms": record.duration_ms,
        "rating": record.rating,
        "genres": list(record.genres),
        "added_at": record.added_at or now,
        "updated_at": record.updated_at,
        "artwork": dict(record.artwork),
        "tmdb_id": ids.get("tmdb"),
        "imdb_id": ids.get("imdb"),
        "tvdb_id": ids.get("tvdb"),
        "season": record.season,
        "episode": record.episode,
        "channel_number": record.channel_number,
        "epg_id": record.epg_id,
        "stream": dict(record.stream),
        "extra": dict(record.extra),
        "content_hash": hash_ or record.digest(),
        "created_at": now,
        "modified_at": now,
    }
