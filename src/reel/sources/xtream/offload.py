"""Converting the pages of a big Xtream listing in a worker process (reel.sources.worker).

A first sync of a large panel converts every entry (decode, clean titles, find years) while
the engine writes the previous pages. Pages of a listing that is all new and big are
therefore cut out of the body as raw JSON here and converted by the shared worker process
(`python -m reel.sources.worker`, converter "xtream-page"), which sends back msgpack-encoded
records: they decode far faster than they convert. The worker starts when the first big
listing needs it (a fraction of a second, while the categories are written) and stops when
the listing ends. If it cannot start or dies, the remaining pages are converted here:
slower, never wrong.

Small or mostly unchanged listings never get here: digests already spare them the work.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Collection
from typing import Any

import msgspec

from reel.sources.records import ItemRecord
from reel.sources.worker import Worker
from reel.sources.xtream import listing, parse
from reel.sources.xtream.items import channel, movie, show

log = logging.getLogger(__name__)

MIN_ENTRIES = 20_000  # fewer new entries than this are converted in-process

Converter = Callable[[Any, set[str]], ItemRecord]
CONVERTERS: dict[str, tuple[type[Any], str, Converter]] = {
    "get_live_streams": (parse.LiveStream, "stream_id", channel),
    "get_vod_streams": (parse.VodStream, "stream_id", movie),
    "get_series": (parse.Series, "series_id", show),
}

_records = msgspec.msgpack.Decoder(list[ItemRecord])


def convert_entries(
    action: str, entries: list[tuple[Any, str]], known: set[str]
) -> list[ItemRecord]:
    """Records of decoded entries, each carrying its raw digest."""
    convert = CONVERTERS[action][2]
    records = []
    for entry, digest in entries:
        record = convert(entry, known)
        record.source_hash = digest
        records.append(record)
    return records


def convert_page(
    action: str, page: bytes, digests: list[str], categories: Collection[str]
) -> list[ItemRecord]:
    """The "xtream-page" converter: records of one page sent as a JSON list of entries.

    Runs in the worker (where the categories arrive as a list) and, after a worker failed,
    here: either way the same records.
    """
    type_, id_field, _ = CONVERTERS[action]
    raws = msgspec.json.decode(page, type=list[msgspec.Raw])
    split = listing.RawSplit(raws, digests, [None] * len(raws), plain_list=True)
    entries = listing.decode_split(split, page, type_, id_field, what=action).entries
    return convert_entries(action, entries, set(categories))


class PageConverter(Worker):
    """One listing's worker process, started on first use, stopped on exit."""

    def __init__(self, source: str) -> None:
        super().__init__(source, log)

    def wanted(self, split: listing.RawSplit) -> bool:
        return not self.broken and split.all_new and len(split.raws) >= MIN_ENTRIES

    async def pages(
        self, action: str, split: listing.RawSplit, known: set[str], page_size: int
    ) -> AsyncIterator[list[ItemRecord]]:
        """Records page by page, in listing order (repeats across pages left to the writer)."""
        count = len(split.raws)
        categories = sorted(known)

        async def requests() -> AsyncIterator[tuple[Any, ...]]:
            """Each page's JSON list, cut only when it is about to be sent."""
            for start in range(0, count, page_size):
                end = min(start + page_size, count)
                page = b"[" + b",".join(split.raws[start:end]) + b"]"
                yield action, page, split.digests[start:end], categories

        async for records in self.map("xtream-page", requests(), _records, action):
            yield records
