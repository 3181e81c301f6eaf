"""Watch state an incremental Jellyfin sync cannot see through `MinDateLastSaved`.

Plays on other devices set `LastPlayedDate`, so the newest plays come first with
`SortBy=DatePlayed&SortOrder=Descending` and we read until the dates pass the cut-off.
Marking an item unplayed clears that date (and marking an item played keeps an older one),
so after the recent plays are applied the kept map must hold as many played and resumable
items as the server counts (`IsPlayed=true`, `Filters=IsResumable`, one-row pages); only
when it does not are those two sets listed — ids and UserData, no images — and compared.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any

from reel.sources.freshness import reconcile
from reel.sources.jellyfin.freshness import (
    WatchMap,
    keep,
    played_and_resumable,
    timestamp,
    watch_entry,
)
from reel.sources.jellyfin.paging import PagedListing
from reel.sources.jellyfin.parse import ItemsResult, to_user_data
from reel.sources.records import ItemType, ListingPage, UserDataRecord

log = logging.getLogger(__name__)

Fetch = Callable[[dict[str, Any], str], Awaitable[ItemsResult]]
RECENT_PAGE_SIZE = 200
PLAYED: dict[str, Any] = {"IsPlayed": "true"}
RESUMABLE: dict[str, Any] = {"Filters": "IsResumable"}


async def recent_plays(
    fetch: Fetch, base: dict[str, Any], item_type: ItemType, since: datetime, watch: WatchMap
) -> AsyncIterator[ListingPage]:
    """Items played since `since`, newest first, read page by page until the dates pass it."""
    params = {**base, "SortBy": "DatePlayed", "SortOrder": "Descending",
              "EnableUserData": "true", "EnableImages": "false"}  # fmt: skip
    cutoff, start = since.timestamp(), 0
    while True:
        page = await fetch({**params, "StartIndex": start, "Limit": RECENT_PAGE_SIZE},
                           f"checking recent {item_type} plays")  # fmt: skip
        records: list[UserDataRecord] = []
        done = len(page.items) < RECENT_PAGE_SIZE
        for dto in page.items:
            played_at = timestamp(dto.user_data.last_played_date if dto.user_data else None)
            if played_at < cutoff:
                done = True
                break
            keep(watch, dto.id, watch_entry(dto.user_data))
            if (data := to_user_data(dto)) is not None:
                records.append(data)
        if records:
            yield ListingPage(user_data=records)
        if done:
            return
        start += len(page.items)


async def verify(
    fetch: Fetch,
    bases: list[dict[str, Any]],
    item_type: ItemType,
    watch: WatchMap,
    id_page_size: int,
    concurrency: int,
) -> AsyncIterator[ListingPage]:
    """Compare the server's played/resumable counts with `watch`; when they differ, list
    both sets and report every item whose state is not what we hold."""
    counted = [0, 0]
    for base in bases:
        for n, flt in enumerate((PLAYED, RESUMABLE)):
            params = {**base, **flt, "StartIndex": 0, "Limit": 1, "EnableUserData": "false",
                      "EnableImages": "false", "EnableTotalRecordCount": "true"}  # fmt: skip
            counted[n] += (await fetch(params, f"counting watched {item_type}s")).total_record_count
    expected = played_and_resumable(watch)
    if tuple(counted) == expected:
        return
    log.info(
        "%ss: the server counts %d played / %d resumable, we hold %d / %d; listing them",
        item_type, counted[0], counted[1], *expected,
    )  # fmt: skip
    current: WatchMap = {}
    records: dict[str, UserDataRecord] = {}
    complete = True
    for base in bases:
        for flt in (PLAYED, RESUMABLE):
            params = {**base, **flt, "EnableUserData": "true", "EnableImages": "false"}

            async def page(start: int, limit: int, params: dict[str, Any] = params) -> ItemsResult:
                query = {**params, "StartIndex": start, "Limit": limit}
                return await fetch(query, f"listing watched {item_type}s")

            listing = PagedListing(page, id_page_size, concurrency)
            async for result in listing.pages():
                for dto in result.items:
                    entry = watch_entry(dto.user_data)
                    data = to_user_data(dto)
                    if entry is not None and data is not None:
                        current[dto.id] = entry
                        records[dto.id] = data
            complete = complete and listing.complete
    changes = reconcile(watch, current, records, item_type, complete=complete)
    if changes:
        yield ListingPage(user_data=changes)
