"""Watch state an incremental Jellyfin sync cannot see through `MinDateLastSaved`.

Plays on other devices set `LastPlayedDate`. The played set (`IsPlayed=true`) and the
resumable set (`Filters=IsResumable`), each newest play first, answer two questions with
one first page: how many items the set holds, and which of them were played since the
cut-off (read on until the dates pass it). Marking an item unplayed clears that date, and
marking an item played keeps an older one, so after the recent plays are applied the kept
map must hold as many played and resumable items as the server counts. Only a set whose
count disagrees is listed — ids only, by the same query (no user data, no images: a
fraction of the bytes and of the server's work) — and the few items that joined or left
it are looked up by id with their user data (`reel.sources.freshness.verify_sets`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reel.sources.freshness import SetListing, State, verify_sets
from reel.sources.jellyfin.freshness import WatchMap, keep, timestamp, watch_entry
from reel.sources.jellyfin.paging import PagedListing
from reel.sources.jellyfin.parse import BaseItem, ItemsResult, to_user_data
from reel.sources.records import ItemType, ListingPage, UserDataRecord

Fetch = Callable[[dict[str, Any], str], Awaitable[ItemsResult]]
# The server's filter for each set of the watch map: [0] played, [1] resumable.
SET_FILTERS: tuple[dict[str, Any], dict[str, Any]] = (
    {"IsPlayed": "true"},
    {"Filters": "IsResumable"},
)
# A set's first page: its count, and its newest plays (an unchanged library has none
# newer than the cut-off, and one row would tell); later pages are larger.
RECENT_FIRST = 20
RECENT_PAGE_SIZE = 200
# Ids per look-up: 32 hex digits and a comma each keep the URL near 5 kB, well inside
# the 8 kB request line Kestrel and common reverse proxies accept.
LOOKUP_IDS = 150


def set_query(base: dict[str, Any], n: int) -> dict[str, Any]:
    """Set `n` of one library and kind, newest play first: the one query that gives the
    count, the recent plays and, when needed, the members."""
    return {**base, **SET_FILTERS[n], "SortBy": "DatePlayed", "SortOrder": "Descending",
            "EnableImages": "false"}  # fmt: skip


@dataclass
class SetHead:
    """What the newest pages of one set said: its size, and the items played since the
    cut-off (with their user data)."""

    total: int
    recent: list[BaseItem]


async def set_head(fetch: Fetch, base: dict[str, Any], n: int, since: datetime) -> SetHead:
    """Read set `n` newest first until the play dates pass `since`.

    Plays on other devices set `LastPlayedDate`, and an item that is neither played nor
    resumable after its play changed nothing we keep (or, if it did, it left a set and
    the counts show it), so the two sets' heads hold every recent play that matters.
    """
    params = {**set_query(base, n), "EnableUserData": "true"}
    cutoff, start, limit = since.timestamp(), 0, RECENT_FIRST
    total: int | None = None
    recent: list[BaseItem] = []
    while True:
        query = {**params, "StartIndex": start, "Limit": limit,
                 "EnableTotalRecordCount": "true" if total is None else "false"}  # fmt: skip
        page = await fetch(query, "checking recent plays")
        if total is None:
            total = page.total_record_count
        for dto in page.items:
            if timestamp(dto.user_data.last_played_date if dto.user_data else None) < cutoff:
                return SetHead(total, recent)
            recent.append(dto)
        if len(page.items) < limit:
            return SetHead(total, recent)
        start, limit = start + len(page.items), RECENT_PAGE_SIZE


def apply_plays(played: list[BaseItem], watch: WatchMap) -> ListingPage:
    """The records of recent plays, and the watch map kept in step."""
    records: list[UserDataRecord] = []
    for dto in played:
        keep(watch, dto.id, watch_entry(dto.user_data))
        if (data := to_user_data(dto)) is not None:
            records.append(data)
    return ListingPage(user_data=records)


async def verify(
    fetch: Fetch,
    bases: list[dict[str, Any]],
    item_type: ItemType,
    watch: WatchMap,
    counted: tuple[int, int],
    id_page_size: int,
    concurrency: int,
) -> list[UserDataRecord]:
    """Settle `watch` against the server's played/resumable counts (`counted`, summed over
    `bases`); the records of every item whose state is not what we held."""

    async def list_set(n: int) -> SetListing:
        got = SetListing(complete=True)
        for base in bases:
            params = {**set_query(base, n), "EnableUserData": "false"}

            async def page(start: int, limit: int, params: dict[str, Any] = params) -> ItemsResult:
                query = {**params, "StartIndex": start, "Limit": limit}
                return await fetch(query, f"listing watched {item_type}s")

            listing = PagedListing(page, id_page_size, concurrency)
            async for result in listing.pages():
                got.members.update(dto.id for dto in result.items)
            got.complete = got.complete and listing.complete
        return got

    limit = asyncio.Semaphore(max(concurrency, 1))
    user = {"userId": bases[0]["userId"]} if bases else {}

    async def look_up_part(ids: list[str]) -> dict[str, State]:
        params = {**user, "Ids": ",".join(ids), "EnableUserData": "true",
                  "EnableImages": "false"}  # fmt: skip
        async with limit:
            result = await fetch(params, f"checking the watch state of {len(ids)} {item_type}s")
        found: dict[str, State] = {}
        for dto in result.items:
            data = to_user_data(dto)
            if data is not None:
                found[dto.id] = (watch_entry(dto.user_data) or [0, 0], data)
        return found

    async def look_up(ids: list[str]) -> dict[str, State]:
        parts = [ids[i : i + LOOKUP_IDS] for i in range(0, len(ids), LOOKUP_IDS)]
        found: dict[str, State] = {}
        for part in await asyncio.gather(*map(look_up_part, parts)):
            found.update(part)
        return found

    return await verify_sets(watch, counted, item_type, list_set, look_up)
