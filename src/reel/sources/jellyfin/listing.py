"""Full and incremental listings of one Jellyfin account as record pages.

Full: every library's items kind by kind (parents first), in detail, with user data.
Incremental, following what the server can and cannot tell us:
- `MinDateLastSaved` finds metadata changes and new items (watch state does not bump it);
- the played and the resumable set, newest play first, give their sizes and the items
  played since the last sync in one page each (watch.py);
- deletions and items marked unplayed leave no trace a filter can find, so counts decide
  whether the ids or the watched sets must be listed (see freshness.py). A type counts as
  complete (safe to sweep) only when every library's id listing completed; when the
  counts prove nothing was removed the type is not swept at all.
The counts and the sets' first pages are asked for at once, while the changed listings
stream (`reel.sources.freshness.Ahead`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from reel.sources.base import ListingContext
from reel.sources.freshness import Ahead, Settling, reconcile
from reel.sources.jellyfin.client import JellyfinClient
from reel.sources.jellyfin.const import (
    DETAIL_FIELDS,
    ITEM_KINDS,
    KINDS_BY_LIBRARY,
    PLAYABLE,
    SORT_BY,
)
from reel.sources.jellyfin.freshness import (
    Freshness,
    WatchMap,
    count_key,
    keep,
    timestamp,
    watch_entry,
)
from reel.sources.jellyfin.paging import PagedListing
from reel.sources.jellyfin.parse import BaseItem, ItemsResult, to_item, to_user_data
from reel.sources.jellyfin.watch import SetHead, apply_plays, set_head, verify
from reel.sources.records import ItemType, LibraryKind, ListingPage, UserDataRecord

log = logging.getLogger(__name__)

Library = tuple[str, LibraryKind]


@dataclass(frozen=True)
class Options:
    page_size: int
    concurrency: int
    id_page_size: int
    sweep_hours: float
    sweep_every: int


@dataclass
class _Pass:
    """What one listing of one library saw, beyond its records."""

    new: int = 0
    newest: float = 0.0
    ids: set[str] = field(default_factory=set)
    total: int = 0
    complete: bool = False  # every page arrived and the ids cover the announced total


def plan(libraries: list[Library]) -> list[tuple[str, ItemType, list[str]]]:
    """(server kind, our type, libraries holding it) in parent-first order."""
    out = []
    for server_kind, our_type in ITEM_KINDS.items():
        holders = [lib for lib, kind in libraries if server_kind in KINDS_BY_LIBRARY.get(kind, ())]
        if holders:
            out.append((server_kind, our_type, holders))
    return out


class Lister:
    """One sync's listing of one account: the queries, and the state they keep."""

    def __init__(
        self, client: JellyfinClient, user_id: str, ctx: ListingContext, opts: Options
    ) -> None:
        self.client, self.user_id, self.ctx, self.opts = client, user_id, ctx, opts

    def base(self, library_id: str, server_kind: str) -> dict[str, Any]:
        return {"userId": self.user_id, "ParentId": library_id,
                "IncludeItemTypes": server_kind, "Recursive": "true"}  # fmt: skip

    async def fetch(self, params: dict[str, Any], what: str) -> ItemsResult:
        return await self.client.items(params, what)

    def paged(self, params: dict[str, Any], what: str, page_size: int) -> PagedListing:
        query = {"SortBy": SORT_BY, "SortOrder": "Ascending", "EnableTotalRecordCount": "true",
                 **params}  # fmt: skip

        async def page(start: int, limit: int) -> ItemsResult:
            return await self.fetch({**query, "StartIndex": start, "Limit": limit}, what)

        return PagedListing(page, page_size, self.opts.concurrency)

    async def count(self, library_id: str, server_kind: str) -> int:
        # One row, not none: the server applies only a positive Limit, so `Limit=0` would
        # list the whole library.
        params = {**self.base(library_id, server_kind), "StartIndex": 0, "Limit": 1,
                  "EnableUserData": "false", "EnableImages": "false",
                  "EnableTotalRecordCount": "true"}  # fmt: skip
        return (await self.fetch(params, f"counting {server_kind} items")).total_record_count

    async def details(
        self,
        library_id: str,
        server_kind: str,
        our_type: ItemType,
        since: datetime | None,
        watch: WatchMap | None,
        seen: _Pass,
    ) -> AsyncIterator[ListingPage]:
        """Items in detail (changed since `since`, or all), with user data; counts the new
        ones: unknown to the catalog, or (without its hashes) created after the watermark."""
        params = {**self.base(library_id, server_kind), "Fields": DETAIL_FIELDS,
                  "EnableUserData": "true"}  # fmt: skip
        if since is not None:
            params["MinDateLastSaved"] = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        listing = self.paged(params, f"listing {server_kind} items", self.opts.page_size)
        known = self.ctx.known_hashes
        watermark = seen.newest
        done = 0
        async for result in listing.pages():
            page = ListingPage()
            for dto in result.items:
                record = to_item(dto, library_id)
                if record is None:
                    continue
                page.items.append(record)
                created = timestamp(dto.date_created)
                fresh = (our_type, dto.id) not in known if known else created > watermark
                seen.new += fresh
                seen.ids.add(dto.id)
                seen.newest = max(seen.newest, created)
                if (data := to_user_data(dto)) is not None:
                    page.user_data.append(data)
                if watch is not None:
                    keep(watch, dto.id, watch_entry(dto.user_data))
            done += len(result.items)
            self.ctx.report(our_type, done, listing.total)
            yield page
        seen.total, seen.complete = listing.total or 0, listing.complete

    async def ids(
        self,
        library_id: str,
        server_kind: str,
        our_type: ItemType,
        seen: _Pass,
        watched: dict[str, tuple[list[int], UserDataRecord]] | None,
    ) -> AsyncIterator[ListingPage]:
        """Every id of one kind in one library; for playable kinds also the user data, kept
        in `watched` (a sweep refreshes the watch map as well)."""
        params = {**self.base(library_id, server_kind), "EnableImages": "false",
                  "EnableUserData": "true" if watched is not None else "false"}  # fmt: skip
        listing = self.paged(params, f"checking {server_kind} items", self.opts.id_page_size)
        done = 0
        async for result in listing.pages():
            ids = [dto.id for dto in result.items]
            seen.ids.update(ids)
            if watched is not None:
                for dto in result.items:
                    entry, data = watch_entry(dto.user_data), to_user_data(dto)
                    if entry is not None and data is not None:
                        watched[dto.id] = (entry, data)
            done += len(ids)
            self.ctx.report(f"{our_type} check", done, listing.total)
            yield ListingPage(present_ids={our_type: ids})
        seen.total, seen.complete = listing.total or 0, listing.complete


async def full(lister: Lister, libraries: list[Library]) -> AsyncIterator[ListingPage]:
    """Every item of every library in detail, with user data; keeps counts and watch map."""
    ctx = lister.ctx
    fresh = Freshness(swept_at=time.time())
    for server_kind, our_type, holders in plan(libraries):
        watch: WatchMap | None = {} if our_type in PLAYABLE else None
        complete = True
        for library_id in holders:
            seen = _Pass()
            async for page in lister.details(library_id, server_kind, our_type, None, watch, seen):
                yield page
            if seen.complete:
                fresh.counts[count_key(library_id, our_type)] = [seen.total, seen.newest]
            else:
                log.warning("listing of %s items changed while paging; not sweeping", server_kind)
                complete = False
        if complete:
            ctx.complete_types.add(our_type)
        if watch is not None:
            fresh.watch[our_type] = watch
    fresh.save(ctx.state, lister.user_id, [lib for lib, _ in libraries])


async def incremental(
    lister: Lister, libraries: list[Library], since: datetime, fresh: Freshness
) -> AsyncIterator[ListingPage]:
    """Changed metadata and watch state; ids only when the counts cannot vouch for them."""
    ctx, opts = lister.ctx, lister.opts
    keys = [lib for lib, _ in libraries]
    before = set(ctx.state.get("libraries") or [])
    sweep_all = bool(before - set(keys)) or fresh.sweep_due(opts.sweep_hours, opts.sweep_every)
    counts: dict[str, list[float]] = {}
    swept_every_type = True
    steps = plan(libraries)

    def known_count(library_id: str, our_type: str) -> list[float] | None:
        return fresh.counts.get(count_key(library_id, our_type)) if library_id in before else None

    ahead = Ahead(opts.concurrency)
    settling = Settling()
    try:
        for server_kind, our_type, holders in steps:  # what the sync compares, asked at once
            for library_id in holders:
                if our_type in PLAYABLE and not sweep_all:  # a sweep lists all watch state
                    for n in (0, 1):
                        ahead.start(*_head(lister, library_id, server_kind, n, since))
                if known_count(library_id, our_type) is not None and not sweep_all:
                    ahead.start(*_total(lister, library_id, server_kind))
        for server_kind, our_type, holders in steps:
            watch = fresh.watch.setdefault(our_type, {}) if our_type in PLAYABLE else None
            passes: dict[str, _Pass] = {}
            whole: set[str] = set()
            for library_id in holders:
                key = count_key(library_id, our_type)
                known = known_count(library_id, our_type)
                # Without a count, the library is new to us (or its listing shifted last
                # time): it holds old items the date filter would miss, so list it whole.
                seen = passes[library_id] = _Pass(newest=known[1] if known else 0.0)
                async for page in lister.details(
                    library_id, server_kind, our_type, since if known else None, watch, seen
                ):
                    yield page
                if known is None and seen.complete:
                    whole.add(library_id)
                    counts[key] = [seen.total, seen.newest]
                if watch is not None and known is not None and not sweep_all:
                    played: dict[str, BaseItem] = {}
                    for n in (0, 1):
                        head = await ahead.get(*_head(lister, library_id, server_kind, n, since))
                        played.update((dto.id, dto) for dto in head.recent)
                    page = apply_plays(list(played.values()), watch)
                    if page.user_data:
                        yield page
            # Deletions: the counts must add up, else list the ids.
            need_ids = sweep_all
            for library_id in holders:
                key = count_key(library_id, our_type)
                if library_id in whole or need_ids:
                    continue
                known = known_count(library_id, our_type)
                total = await ahead.get(*_total(lister, library_id, server_kind))
                seen = passes[library_id]
                if known is not None and total == int(known[0]) + seen.new:
                    counts[key] = [total, seen.newest]
                else:
                    log.info(
                        "%ss of library %s: %d on the server, %s known + %d new; listing ids",
                        our_type, library_id, total, int(known[0]) if known else "none",
                        seen.new,
                    )  # fmt: skip
                    need_ids = True
            if need_ids:
                async for page in _sweep(lister, server_kind, our_type, holders, whole, passes,
                                         counts, watch):  # fmt: skip
                    yield page
                swept_every_type = swept_every_type and our_type in ctx.complete_types
            else:
                swept_every_type = False
                if watch is not None:
                    counted = [0, 0]
                    for library_id in holders:
                        for n in (0, 1):
                            work = _head(lister, library_id, server_kind, n, since)
                            counted[n] += (await ahead.get(*work)).total
                    bases = [lister.base(lib, server_kind) for lib in holders]
                    settling.start(verify(lister.fetch, bases, our_type, watch,
                                          (counted[0], counted[1]), opts.id_page_size,
                                          opts.concurrency))  # fmt: skip
        async for changes in settling.results():
            yield ListingPage(user_data=changes)
    finally:
        await settling.aclose()
        await ahead.aclose()
    fresh.counts = counts
    if sweep_all and swept_every_type:
        fresh.swept_at, fresh.syncs_since_sweep = time.time(), 0
    else:
        fresh.syncs_since_sweep += 1
    fresh.save(ctx.state, lister.user_id, keys)


def _total(
    lister: Lister, library_id: str, server_kind: str
) -> tuple[Hashable, Callable[[], Awaitable[int]]]:
    """The key and the request of a library's item count of one kind, for `Ahead`."""
    return ("total", library_id, server_kind), lambda: lister.count(library_id, server_kind)


def _head(
    lister: Lister, library_id: str, server_kind: str, n: int, since: datetime
) -> tuple[Hashable, Callable[[], Awaitable[SetHead]]]:
    """The key and the request of the played (0) or resumable (1) set's count and recent
    plays in one library, for `Ahead`."""
    base = lister.base(library_id, server_kind)
    return ("set", library_id, server_kind, n), lambda: set_head(lister.fetch, base, n, since)


async def _sweep(
    lister: Lister,
    server_kind: str,
    our_type: ItemType,
    holders: list[str],
    whole: set[str],
    passes: dict[str, _Pass],
    counts: dict[str, list[float]],
    watch: WatchMap | None,
) -> AsyncIterator[ListingPage]:
    """List every id (with user data) of a type; when complete, mark it for the deletion
    sweep and rebuild the watch map from what the listing reported."""
    complete = True
    watched: dict[str, tuple[list[int], UserDataRecord]] | None = None
    if watch is not None:
        watched = {}
    for library_id in holders:
        if library_id in whole:
            continue
        seen = passes[library_id]
        async for page in lister.ids(library_id, server_kind, our_type, seen, watched):
            yield page
        if seen.complete:
            counts[count_key(library_id, our_type)] = [seen.total, seen.newest]
        else:
            log.warning("id listing of %ss in library %s incomplete; not sweeping",
                        our_type, library_id)  # fmt: skip
            complete = False
    if complete:
        lister.ctx.complete_types.add(our_type)
    if watch is None or watched is None:
        return
    # Whole libraries were listed in detail just now: the map already holds their state.
    current = {k: v for lib in whole for k in passes[lib].ids if (v := watch.get(k))}
    current.update({k: entry for k, (entry, _) in watched.items()})
    records = {k: data for k, (_, data) in watched.items()}
    changes = reconcile(watch, current, records, our_type, complete=complete)
    if changes:
        yield ListingPage(user_data=changes)
