"""Converting the pages of a big Plex listing in a worker process (reel.sources.worker).

A full sync decodes and converts every item while the engine writes the previous pages;
both are Python under one interpreter lock, so in one process they take turns. The pages
of a big section (its first page's total at least MIN_ENTRIES) therefore go to the shared
worker process as raw bodies (converter "plex-page"), which decodes them and sends back,
per page, the records, the watch state and the few facts per item the listing keeps its
bookkeeping from (added-at, watch entry). The parent applies those facts in page order
exactly as it applies those of a page converted here, so the catalog and the saved state
are the same either way. Small sections stay here: a worker would cost more than it saves.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import msgspec

from reel.sources.plex import parse
from reel.sources.plex.freshness import watch_entry
from reel.sources.records import ItemRecord, UserDataRecord
from reel.sources.worker import Worker

if TYPE_CHECKING:  # the worker imports this module: keep httpx and the client out of it
    from reel.sources.plex.client import RawPage

log = logging.getLogger(__name__)

MIN_ENTRIES = 20_000  # sections with fewer items than this are converted in-process


class PageFacts(msgspec.Struct, array_like=True, gc=False):
    """One page's records and, per record (same order), what the listing's bookkeeping
    needs: its `addedAt` (0 when absent) and its watch entry (when watch is tracked)."""

    items: list[ItemRecord]
    user_data: list[UserDataRecord]
    added: list[int]
    watch: list[list[int] | None]


_facts = msgspec.msgpack.Decoder(PageFacts)


def page_facts(
    container: parse.ItemContainer, item_type: str, library_id: str, watch: bool
) -> PageFacts:
    """Records of the page's items of `item_type`, their watch state when `watch`."""
    facts = PageFacts([], [], [], [])
    for md in container.metadata:
        if md.type != item_type:
            continue
        record = parse.to_item(md, library_id)
        if record is None:
            continue
        facts.items.append(record)
        facts.added.append(md.added_at or 0)
        if watch:
            data = parse.to_user_data(md)
            if data is not None:
                facts.user_data.append(data)
            facts.watch.append(watch_entry(md.view_count, md.view_offset))
    return facts


def convert_page(body: bytes, item_type: str, library_id: str, watch: bool, what: str) -> PageFacts:
    """The "plex-page" converter: one raw page body to its facts (worker or, after a
    worker failed, here)."""
    return page_facts(parse.items_page(body, what), item_type, library_id, watch)


async def facts(
    worker: Worker,
    pages: AsyncIterator[RawPage],
    item_type: str,
    library_id: str,
    watch: bool,
    what: str,
) -> AsyncIterator[PageFacts]:
    """Each page's facts in listing order: by the worker when the listing is big and JSON,
    else here."""
    first = await anext(pages, None)
    if first is None:
        return

    async def chained() -> AsyncIterator[RawPage]:
        yield first
        async for page in pages:
            yield page

    total = first.total_size if first.total_size is not None else first.rows
    if worker.broken or first.container is not None or total < MIN_ENTRIES:
        async for page in chained():
            yield page_facts(page.decode(what), item_type, library_id, watch)
        return

    async def requests() -> AsyncIterator[tuple[bytes, str, str, bool, str]]:
        async for page in chained():
            yield page.body, item_type, library_id, watch, what

    async for result in worker.map("plex-page", requests(), _facts, what):
        yield result
