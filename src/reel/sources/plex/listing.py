"""Full and incremental listings of one Plex server as record pages.

Full: every section's items by type (shows, then seasons, then episodes, so parents come
first), with watch state. Incremental, following what the server can and cannot tell us:
- `updatedAt>>=` finds metadata changes and new items (watch state does not bump it);
- `lastViewedAt>>=` finds items watched or played since the last sync;
- deletions and items marked unwatched leave no trace a filter can find, so counts decide
  whether the ids or the watched sets must be listed (see freshness.py). A type counts as
  complete (safe to sweep) only when every section's id listing completed with consistent
  totals; when the counts prove nothing was removed the type is not swept at all.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from reel.sources.base import ListingContext
from reel.sources.freshness import Ahead, Settling
from reel.sources.plex import offload, parse
from reel.sources.plex.client import PageStats, PlexClient
from reel.sources.plex.const import (
    CLOCK_SKEW_S,
    ID_PAGE_SIZE,
    SECTION_ITEM_TYPES,
    TYPE_NUMBERS,
    WATCHABLE_TYPES,
)
from reel.sources.plex.freshness import (
    SWEEP_EVERY,
    SWEEP_HOURS,
    Freshness,
    WatchMap,
    count_key,
)
from reel.sources.plex.watch import (
    NO_ELEMENTS,
    SET_FILTERS,
    WATCH_FIELDS,
    apply_page,
    verify_watch,
)
from reel.sources.records import ItemType, ListingPage
from reel.sources.worker import Worker

log = logging.getLogger(__name__)

# Id listings name only these fields: a fraction of the bytes of full records.
ID_FIELDS = "ratingKey,addedAt"
# Item listings: Guid elements, only the attributes records are built from, no cast or crew.
LISTING_PARAMS = {
    "includeGuids": 1,
    "includeFields": parse.LISTING_FIELDS,
    "excludeElements": parse.UNUSED_ELEMENTS,
}


@dataclass(frozen=True)
class Options:
    page_size: int
    concurrency: int
    id_page_size: int = ID_PAGE_SIZE
    skew_s: int = CLOCK_SKEW_S
    sweep_hours: float = SWEEP_HOURS
    sweep_every: int = SWEEP_EVERY


@dataclass
class _Pass:
    """What one listing of one section saw, beyond its records."""

    new: set[str] = field(default_factory=set)
    newest: int = 0


def _plan(sections: list[parse.Section]) -> list[tuple[ItemType, list[parse.Section]]]:
    """Item types in parent-first order (movies, shows, seasons, episodes) with the
    sections that hold each."""
    plan: list[tuple[ItemType, list[parse.Section]]] = []
    for item_type in ("movie", "show", "season", "episode"):
        holders = [s for s in sections if item_type in SECTION_ITEM_TYPES.get(s.type, ())]
        if holders:
            plan.append((item_type, holders))
    return plan


def _path(section: parse.Section) -> str:
    return f"/library/sections/{section.key}/all"


def _records(
    container: parse.ItemContainer,
    item_type: str,
    library_id: str,
    watch: WatchMap | None,
    seen: _Pass,
) -> ListingPage:
    """Records and watch state of one page; keeps `watch` and the added-at watermark in step."""
    facts = offload.page_facts(container, item_type, library_id, watch is not None)
    return _apply(facts, watch, seen)


def _apply(facts: offload.PageFacts, watch: WatchMap | None, seen: _Pass) -> ListingPage:
    """A page converted here or by the worker, applied to the bookkeeping in listing order:
    items newer than the watermark the page started from are new; watch entries replace
    (or, when gone, remove) the kept ones."""
    watermark, newest = seen.newest, seen.newest
    for record, added in zip(facts.items, facts.added, strict=True):
        if added > watermark:
            seen.new.add(record.remote_id)
            newest = max(newest, added)
    if watch is not None:
        for record, entry in zip(facts.items, facts.watch, strict=True):
            if entry is None:
                watch.pop(record.remote_id, None)
            else:
                watch[record.remote_id] = entry
    seen.newest = newest
    return ListingPage(items=facts.items, user_data=facts.user_data)


async def full(
    client: PlexClient, sections: list[parse.Section], ctx: ListingContext, opts: Options
) -> AsyncIterator[ListingPage]:
    """Every item of every movie and show section, with watch state.

    Big sections are decoded and converted by a worker process (offload.py), which the
    listing starts on first need and stops when it ends.
    """
    fresh = Freshness(swept_at=time.time())
    async with Worker(client.base_url, offload.log) as worker:
        for item_type, holders in _plan(sections):
            watch: WatchMap | None = {} if item_type in WATCHABLE_TYPES else None
            complete = True
            for section in holders:
                stats, seen = PageStats(), _Pass()
                library_id = str(section.key)
                params = {"type": TYPE_NUMBERS[item_type], **LISTING_PARAMS}
                what = f"the {item_type}s of library {section.title!r}"
                pages = client.raw_pages(
                    _path(section), params, what=what, stats=stats,
                    page_size=opts.page_size, concurrency=opts.concurrency,
                )  # fmt: skip
                tracked = watch is not None
                async for facts in offload.facts(
                    worker, pages, item_type, library_id, tracked, what
                ):  # fmt: skip
                    ctx.report(
                        f"{section.title}: {item_type}s",
                        stats.rows,
                        max(stats.totals, default=None),
                    )
                    yield _apply(facts, watch, seen)
                if stats.complete:
                    fresh.counts[count_key(library_id, item_type)] = [stats.rows, seen.newest]
                else:
                    log.warning("listing of %s changed while paging; not sweeping", what)
                    complete = False
            if complete:
                ctx.complete_types.add(item_type)
            if watch is not None:
                fresh.watch[item_type] = watch
    fresh.save(ctx.state, [str(s.key) for s in sections])


async def incremental(
    client: PlexClient,
    sections: list[parse.Section],
    ctx: ListingContext,
    opts: Options,
    fresh: Freshness,
) -> AsyncIterator[ListingPage]:
    """Changed metadata and watch state; ids only when the counts cannot vouch for them."""
    assert ctx.since is not None
    since = int(ctx.since.timestamp()) - opts.skew_s
    keys = [str(s.key) for s in sections]
    before = set(ctx.state.get("sections") or [])
    gone = before - set(keys)
    sweep_all = bool(gone) or fresh.sweep_due(opts.sweep_hours, opts.sweep_every)
    plan = _plan(sections)

    def known_count(section: parse.Section, item_type: str) -> list[int] | None:
        """The count kept for a section's type; none for a section shared or created since
        (nothing it holds is known)."""
        library_id = str(section.key)
        return fresh.counts.get(count_key(library_id, item_type)) if library_id in before else None

    counts: dict[str, list[int]] = {}
    swept_every_type = True
    ahead = Ahead(opts.concurrency)
    settling = Settling()
    try:
        for item_type, holders in plan:  # what the sync will compare, asked for at once
            for section in holders:
                known = known_count(section, item_type)
                if item_type in WATCHABLE_TYPES and known is not None:
                    ahead.start(*_plays(client, section, item_type, since, opts))
                if not sweep_all and known is not None:
                    ahead.start(*_count(client, section, item_type, {}))
                if item_type in WATCHABLE_TYPES:
                    for flt in SET_FILTERS:
                        ahead.start(*_count(client, section, item_type, flt))
        for item_type, holders in plan:
            number = TYPE_NUMBERS[item_type]
            watch = fresh.watch.setdefault(item_type, {}) if item_type in WATCHABLE_TYPES else None
            passes: dict[str, _Pass] = {}
            whole: set[str] = set()
            for section in holders:
                library_id = str(section.key)
                known = known_count(section, item_type)
                # Without a count every item is "new", which also collects the section's ids.
                seen = passes[library_id] = _Pass(newest=known[1] if known else -1)
                params: dict[str, Any] = {"type": number, **LISTING_PARAMS}
                if known is not None:
                    params["updatedAt>>"] = since
                # A section we hold no count for (new, or its last listing shifted) holds old
                # items the date filter would miss: list it whole.
                stats = PageStats()
                async for page in client.pages(
                    _path(section), params, what=f"changed {item_type}s of {section.title!r}",
                    stats=stats, page_size=opts.page_size, concurrency=opts.concurrency,
                ):  # fmt: skip
                    yield _records(page, item_type, library_id, watch, seen)
                if known is None and stats.complete:
                    whole.add(library_id)
                    counts[count_key(library_id, item_type)] = [stats.rows, max(seen.newest, 0)]
                if watch is not None and known is not None:
                    for page in await ahead.get(*_plays(client, section, item_type, since, opts)):
                        yield apply_page(page, item_type, watch)
            # Deletions: the counts must add up, else list the ids.
            need_ids = sweep_all
            for section in holders:
                library_id = str(section.key)
                key = count_key(library_id, item_type)
                if library_id in whole or need_ids:
                    continue
                known = known_count(section, item_type)
                total: int = await ahead.get(*_count(client, section, item_type, {}))
                seen = passes[library_id]
                if known is not None and total == known[0] + len(seen.new):
                    counts[key] = [total, seen.newest]
                else:
                    log.info(
                        "%ss of %r: %d on the server, %s known + %d new; listing ids",
                        item_type, section.title, total, known[0] if known else "none",
                        len(seen.new),
                    )  # fmt: skip
                    need_ids = True
            if need_ids:
                complete, present = True, set[str]()
                for section in holders:
                    if str(section.key) in whole:
                        continue
                    async for ids in _ids(client, section, item_type, ctx, opts, counts, passes):
                        present.update(ids.present_ids[item_type])
                        yield ids
                    complete = complete and count_key(str(section.key), item_type) in counts
                if complete:
                    ctx.complete_types.add(item_type)
                    if watch is not None:  # deleted items must not linger in the watch map
                        present.update(k for lib in whole for k in passes[lib].new)
                        for key in [k for k in watch if k not in present]:
                            del watch[key]
                swept_every_type = swept_every_type and complete
            else:
                swept_every_type = False
            if watch is not None:
                counted = [0, 0]
                for section in holders:
                    for n, flt in enumerate(SET_FILTERS):
                        counted[n] += await ahead.get(*_count(client, section, item_type, flt))
                settling.start(
                    verify_watch(client, holders, item_type, watch, (counted[0], counted[1]), opts)
                )
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
    fresh.save(ctx.state, keys)


def _count(
    client: PlexClient, section: parse.Section, item_type: ItemType, flt: dict[str, Any]
) -> tuple[Hashable, Callable[[], Awaitable[int]]]:
    """The key and the request of one count (`X-Plex-Container-Size=0`), for `Ahead`."""
    params = {"type": TYPE_NUMBERS[item_type], **flt}
    what = f"the {item_type} count of {section.title!r}"
    key = ("count", str(section.key), item_type, tuple(flt.items()))
    return key, lambda: client.count(_path(section), params, what=what)


def _plays(
    client: PlexClient, section: parse.Section, item_type: ItemType, since: int, opts: Options
) -> tuple[Hashable, Callable[[], Awaitable[list[parse.ItemContainer]]]]:
    """The key and the listing of items watched or played since `since`, for `Ahead`: it
    is fetched while the section's changed listing streams."""
    params = {"type": TYPE_NUMBERS[item_type], "lastViewedAt>>": since,
              "includeFields": WATCH_FIELDS, "excludeElements": NO_ELEMENTS}  # fmt: skip

    async def pages() -> list[parse.ItemContainer]:
        return [
            page
            async for page in client.pages(
                _path(section), params, what=f"recently watched items of {section.title!r}",
                page_size=opts.id_page_size, concurrency=opts.concurrency,
            )
        ]  # fmt: skip

    return ("plays", str(section.key), item_type), pages


async def _ids(
    client: PlexClient,
    section: parse.Section,
    item_type: ItemType,
    ctx: ListingContext,
    opts: Options,
    counts: dict[str, list[int]],
    passes: dict[str, _Pass],
) -> AsyncIterator[ListingPage]:
    """Every id of one type in one section; records the count only when it was complete."""
    library_id, title = str(section.key), section.title
    params = {"type": TYPE_NUMBERS[item_type], "includeFields": ID_FIELDS,
              "excludeElements": NO_ELEMENTS}  # fmt: skip
    stats = PageStats()
    newest = passes[library_id].newest
    async for page in client.pages(
        _path(section), params, what=f"the {item_type} ids of {title!r}", stats=stats,
        page_size=opts.id_page_size, concurrency=opts.concurrency,
    ):  # fmt: skip
        present = []
        for md in page.metadata:
            present.append(str(md.rating_key))
            newest = max(newest, md.added_at or 0)
        ctx.report(f"{title}: {item_type} ids", stats.rows, max(stats.totals, default=None))
        yield ListingPage(present_ids={item_type: present})
    key = count_key(library_id, item_type)
    if stats.complete:
        counts[key] = [stats.rows, newest]
    else:
        log.warning("id listing of %ss in %r incomplete; not sweeping", item_type, title)
        counts.pop(key, None)
