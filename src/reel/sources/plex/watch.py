"""Watch state an incremental Plex sync cannot see through date filters.

Marking an item unwatched (here or on another device) removes its `viewCount`,
`viewOffset` and `lastViewedAt`, so `lastViewedAt>>=` never lists it. After the recent
plays are applied, the kept watch map must hold as many watched and in-progress items as
the server counts (`unwatched=0` and `inProgress=1`, both with an empty page); only a set
whose count disagrees is listed — ratingKeys and watch fields, no records — and compared
(see `reel.sources.freshness.verify_sets`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reel.sources.freshness import SetListing, verify_sets
from reel.sources.plex import parse
from reel.sources.plex.client import PageStats, PlexClient
from reel.sources.plex.const import TYPE_NUMBERS
from reel.sources.plex.freshness import WatchMap, watch_entry
from reel.sources.records import ItemType, ListingPage, UserDataRecord

if TYPE_CHECKING:
    from reel.sources.plex.listing import Options

WATCH_FIELDS = "ratingKey,viewCount,viewOffset,lastViewedAt"
NO_ELEMENTS = "Media,Genre,Guid,Role,Director,Writer,Producer,Country,Collection,Label,Image"
# The server's filter for each set of the watch map: [0] watched, [1] in progress.
SET_FILTERS: tuple[dict[str, Any], dict[str, Any]] = ({"unwatched": 0}, {"inProgress": 1})


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
    counted: tuple[int, int],
    opts: Options,
) -> list[UserDataRecord]:
    """Settle `watch` against the server's watched/in-progress counts (`counted`, summed
    over `sections`); the records of every item whose state is not what we held."""
    number = TYPE_NUMBERS[item_type]

    async def list_set(n: int) -> SetListing:
        got = SetListing(complete=True)
        for section in sections:
            params = {"type": number, **SET_FILTERS[n], "includeFields": WATCH_FIELDS,
                      "excludeElements": NO_ELEMENTS}  # fmt: skip
            stats = PageStats()
            async for page in client.pages(
                f"/library/sections/{section.key}/all", params,
                what=f"the watched {item_type}s of {section.title!r}", stats=stats,
                page_size=opts.id_page_size, concurrency=opts.concurrency,
            ):  # fmt: skip
                for md in page.metadata:
                    key = str(md.rating_key)
                    got.members.add(key)
                    entry = watch_entry(md.view_count, md.view_offset)
                    if entry is not None and watch.get(key) != entry:  # a record where needed
                        got.states[key] = (entry, watch_record(md, item_type))
            got.complete = got.complete and stats.complete
        return got

    return await verify_sets(watch, counted, item_type, list_set)
