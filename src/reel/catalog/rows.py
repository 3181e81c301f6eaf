"""Turning adapter records into `items` rows: derived columns and the content hash.

Shared by the sync engine and the catalog generator so that both derive sort and search
columns the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from operator import attrgetter
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


# The column order of `item_columns`: `item_row`'s keys, so both describe the same row.
ITEM_COLUMNS = (
    "source_id", "library_id", "category_id", "parent_id", "remote_id", "type", "title",
    "sort_title", "original_title", "sort_key", "search_title", "search_text", "year",
    "overview", "duration_ms", "rating", "genres", "added_at", "updated_at", "artwork",
    "tmdb_id", "imdb_id", "tvdb_id", "season", "episode", "channel_number", "epg_id",
    "stream", "extra", "content_hash", "created_at", "modified_at",
)  # fmt: skip


_RECORD_COLUMNS = (
    "remote_id", "type", "title", "sort_title", "original_title", "year", "overview",
    "duration_ms", "rating", "genres", "updated_at", "artwork", "season", "episode",
    "channel_number", "epg_id", "stream", "extra",
)  # fmt: skip
_record_columns = attrgetter(*_RECORD_COLUMNS)
_derived_of = attrgetter("title", "sort_title", "original_title")
_added_of = attrgetter("added_at")
_ids_of = attrgetter("ids")


def item_columns(
    records: Sequence[ItemRecord],
    source_id: int,
    library_ids: Sequence[int | None],
    category_ids: Sequence[int | None],
    parent_ids: Sequence[int | None],
    now: datetime,
    hashes: Sequence[str],
) -> list[Sequence[Any]]:
    """The `items` rows of many records (what `item_row` gives for each) as columns, in
    ITEM_COLUMNS order.

    A bulk insert binds rows, but its values are encoded a column at a time
    (`sync.encode`); building the columns straight from the records, with C-level
    `attrgetter`/`zip` passes, spares a tuple per row and turning the rows into columns
    and back. JSON columns hold the records' own containers (not copies): the values are
    encoded before a record could change.
    """
    count = len(records)
    if not count:
        return [[] for _ in ITEM_COLUMNS]
    attrs = dict(
        zip(_RECORD_COLUMNS, zip(*map(_record_columns, records), strict=True), strict=True)
    )
    sort_keys, title_words, search_texts = zip(
        *(derived_text(*t) for t in map(_derived_of, records)), strict=True
    )
    ids = list(map(_ids_of, records))
    added = [at or now for at in map(_added_of, records)]
    constant = [now] * count
    by_name: dict[str, Sequence[Any]] = {
        **attrs,
        "source_id": [source_id] * count,
        "library_id": library_ids,
        "category_id": category_ids,
        "parent_id": parent_ids,
        "sort_key": sort_keys,
        "search_title": title_words,
        "search_text": search_texts,
        "added_at": added,
        "tmdb_id": [i.get("tmdb") for i in ids],
        "imdb_id": [i.get("imdb") for i in ids],
        "tvdb_id": [i.get("tvdb") for i in ids],
        "content_hash": hashes,
        "created_at": constant,
        "modified_at": constant,
    }
    return [by_name[name] for name in ITEM_COLUMNS]


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
