"""Watch state an incremental Plex sync cannot see through date filters.

Marking an item unwatched (here or on another device) removes its `viewCount`,
`viewOffset` and `lastViewedAt`, so `lastViewedAt>>=` never lists it. After the recent
plays are applied, the kept watch map must hold as many watched and in-progress items as
the server counts (`unwatched=0` and `inProgress=1`, both with an empty page); only when it
does not are those two sets listed — ratingKeys and counts, no records — and compared.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from reel.sources.freshness import reconcile
from reel.sources.plex import parse
from reel.sources.plex.client import PageStats, PlexClient
from reel.sources.plex.const import TYPE_NUMBERS
from reel.sources.plex.freshness import WatchMap, watch_entry, watched_and_started
from reel.sources.records import ItemType, ListingPage, UserDataRecord

if TYPE_CHECKING:
    from reel.sources.plex.listing import Options

log = logging.getLogger(__name__)

WATCH_FIELDS = "ratingKey,viewCount,viewOffset,lastViewedAt"
NO_ELEMENTS = "Media,Genre,Guid,Role,Director,Writer,Producer,Country,Collection,Label,Image"
WATCHED: dict[str, Any] = {"unwatched": 0}
STARTED: dict[str, Any] = {"inProgress": 1}


def watch_record(md: parse.Metadata, item_type: ItemType) -> UserDataRecord:
    count = max(md.view_count or 0, 0)
    return UserDataRecord(
        remote_id=str(md.rating_key),
        type=item_type,
        position_ms=max(md.view_offset or 0, 0),
        played=count > 0,
        play_count=count,
        last_played_at=parse.timestamp(md.last_viewed_at),
    )


def apply_page(page: parse.ItemContainer, item_type: ItemType, watch: WatchMap) -> ListingPage:
    """A page of watch-state-only rows (recent plays): records, and the map kept in step."""
    user_data = []
    for md in page.metadata:
        key = str(md.rating_key)
        entry = watch_entry(md.view_count, md.view_offset)
        if entry is None:
            watch.pop(key, None)
        else:
            watch[key] = entry
        user_data.append(watch_record(md, item_type))
    return ListingPage(user_data=user_data)


async def verify_watch(
    client: PlexClient,
    sections: list[parse.Section],
    item_type: ItemType,
    watch: WatchMap,
    opts: Options,
) -> AsyncIterator[ListingPage]:
    """Compare the server's watched/in-progress counts with `watch`; list the sets if they
    differ and report every item whose state is not what we hold."""
    number = TYPE_NUMBERS[item_type]
    counted = [0, 0]
    for section in sections:
        path = f"/library/sections/{section.key}/all"
        for n, flt in enumerate((WATCHED, STARTED)):
            what = f"the watched {item_type} count of {section.title!r}"
            counted[n] += await client.count(path, {"type": number, **flt}, what=what)
    expected = watched_and_started(watch)
    if tuple(counted) == expected:
        return
    log.info(
        "%ss: the server counts %d watched / %d in progress, we hold %d / %d; listing them",
        item_type, counted[0], counted[1], *expected,
    )  # fmt: skip
    current: WatchMap = {}
    records: dict[str, UserDataRecord] = {}
    complete = True
    for section in sections:
        path = f"/library/sections/{section.key}/all"
        for flt in (WATCHED, STARTED):
            params = {"type": number, **flt, "includeFields": WATCH_FIELDS,
                      "excludeElements": NO_ELEMENTS}  # fmt: skip
            stats = PageStats()
            async for page in client.pages(
                path, params, what=f"the watched {item_type}s of {section.title!r}",
                stats=stats, page_size=opts.id_page_size, concurrency=opts.concurrency,
            ):  # fmt: skip
                for md in page.metadata:
                    entry = watch_entry(md.view_count, md.view_offset)
                    if entry is not None:
                        key = str(md.rating_key)
                        current[key] = entry
                        records[key] = watch_record(md, item_type)
            complete = complete and stats.complete
    changes = reconcile(watch, current, records, item_type, complete=complete)
    if changes:
        yield ListingPage(user_data=changes)
