"""Full and incremental listings of one Plex server as record pages.

Full: every section's items by type (shows, then seasons, then episodes, so parents come
first), with watch state. Incremental, following what the server can and cannot tell us:
- `updatedAt>>=` finds metadata changes (watch-state changes do not bump `updatedAt`);
- `lastViewedAt>>=` finds items watched or played since the last sync;
- items marked unwatched lose `lastViewedAt`, so a cheap listing of ids with their view
  count and offset is compared with the watch state kept in `ctx.state`; that same listing
  reports which items still exist, and a type counts as complete (safe to sweep) only when
  every section's id listing completed with consistent totals.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from reel.sources.base import ListingContext
from reel.sources.plex import parse
from reel.sources.plex.client import PageStats, PlexClient
from reel.sources.plex.const import (
    CLOCK_SKEW_S,
    ID_PAGE_SIZE,
    SECTION_ITEM_TYPES,
    TYPE_NUMBERS,
    WATCHABLE_TYPES,
)
from reel.sources.records import ItemRecord, ListingPage, UserDataRecord

log = logging.getLogger(__name__)

STATE_VERSION = 1
# Only these fields for id listings: enough for existence and watch state, a fraction of
# the bytes of full records.
_ID_FIELDS = "ratingKey,type,viewCount,viewOffset,lastViewedAt"
_NO_ELEMENTS = "Media,Genre,Guid,Role,Director,Writer,Producer,Country,Collection,Label,Image"

# Watch state kept between syncs: {item type: {ratingKey: [viewCount, viewOffset]}}, only
# for items with either non-zero (unwatched, unstarted items are the absence of an entry).
WatchMap = dict[str, list[int]]


@dataclass(frozen=True)
class Options:
    page_size: int
    concurrency: int
    id_page_size: int = ID_PAGE_SIZE
    skew_s: int = CLOCK_SKEW_S


def _watch_entry(md: parse.Metadata) -> list[int] | None:
    count, offset = md.view_count or 0, md.view_offset or 0
    return [count, offset] if count or offset else None


def _section_plan(sections: list[parse.Section]) -> list[tuple[str, parse.Section]]:
    """(item type, section) pairs in parent-first order: movies, shows, seasons, episodes."""
    plan: list[tuple[str, parse.Section]] = []
    for item_type in ("movie", "show", "season", "episode"):
        for section in sections:
            if item_type in SECTION_ITEM_TYPES.get(section.type, ()):
                plan.append((item_type, section))
    return plan


def _path(section: parse.Section) -> str:
    return f"/library/sections/{section.key}/all"


def _records(
    container: parse.ItemContainer, item_type: str, library_id: str
) -> tuple[list[ItemRecord], list[UserDataRecord]]:
    items, user_data = [], []
    for md in container.metadata:
        if md.type != item_type:
            continue
        record = parse.to_item(md, library_id)
        if record is not None:
            items.append(record)
        data = parse.to_user_data(md)
        if data is not None:
            user_data.append(data)
    return items, user_data


def previous_watch(ctx: ListingContext) -> dict[str, WatchMap] | None:
    """The watch state saved by the last sync, or None when it cannot be trusted."""
    if ctx.state.get("version") != STATE_VERSION or "sections" not in ctx.state:
        return None
    watch = ctx.state.get("watch")
    return watch if isinstance(watch, dict) else None


async def full(
    client: PlexClient, sections: list[parse.Section], ctx: ListingContext, opts: Options
) -> AsyncIterator[ListingPage]:
    """Every item of every movie and show section, with watch state."""
    complete = {t: True for t in TYPE_NUMBERS}
    watch: dict[str, WatchMap] = {t: {} for t in WATCHABLE_TYPES}
    for item_type, section in _section_plan(sections):
        stats = PageStats()
        params = {"type": TYPE_NUMBERS[item_type], "includeGuids": 1}
        what = f"the {item_type}s of library {section.title!r}"
        async for page in client.pages(
            _path(section),
            params,
            what=what,
            stats=stats,
            page_size=opts.page_size,
            concurrency=opts.concurrency,
        ):
            items, user_data = _records(page, item_type, str(section.key))
            if item_type in WATCHABLE_TYPES:
                for md in page.metadata:
                    entry = _watch_entry(md)
                    if entry is not None:
                        watch[item_type][str(md.rating_key)] = entry
            ctx.report(
                f"{section.title}: {item_type}s", stats.rows, max(stats.totals, default=None)
            )
            yield ListingPage(items=items, user_data=user_data)
        if not stats.complete:
            log.warning("listing of %s changed while paging; not sweeping %ss", what, item_type)
            complete[item_type] = False
    ctx.complete_types.update(t for t, ok in complete.items() if ok)
    ctx.state.update(
        {"version": STATE_VERSION, "watch": watch, "sections": [str(s.key) for s in sections]}
    )


async def incremental(
    client: PlexClient,
    sections: list[parse.Section],
    ctx: ListingContext,
    opts: Options,
    prev: dict[str, WatchMap],
) -> AsyncIterator[ListingPage]:
    """Changed metadata, changed watch state, and the ids that still exist."""
    assert ctx.since is not None
    since = int(ctx.since.timestamp()) - opts.skew_s
    complete = {t: True for t in TYPE_NUMBERS}
    seen: dict[str, WatchMap] = {t: {} for t in WATCHABLE_TYPES}
    sent: set[str] = set()
    known = set(ctx.state.get("sections") or [])
    for item_type, section in _section_plan(sections):
        number, library_id = TYPE_NUMBERS[item_type], str(section.key)
        path, title = _path(section), section.title
        # A section we have never listed (newly shared or created) holds old items the
        # date filters would miss: list it whole.
        new_section = library_id not in known
        changed: dict[str, Any] = {"type": number, "includeGuids": 1}
        if not new_section:
            changed["updatedAt>>"] = since
        async for page in client.pages(
            path, changed, what=f"changed {item_type}s of {title!r}",
            page_size=opts.page_size, concurrency=opts.concurrency,
        ):  # fmt: skip
            items, user_data = _records(page, item_type, library_id)
            sent.update(u.remote_id for u in user_data)
            yield ListingPage(items=items, user_data=user_data)
        if item_type in WATCHABLE_TYPES and not new_section:
            viewed = {"type": number, "lastViewedAt>>": since, "includeFields": _ID_FIELDS,
                      "excludeElements": _NO_ELEMENTS}  # fmt: skip
            async for page in client.pages(
                path, viewed, what=f"recently watched {item_type}s of {title!r}",
                page_size=opts.id_page_size, concurrency=opts.concurrency,
            ):  # fmt: skip
                user_data = [_user_data(md, item_type) for md in page.metadata]
                sent.update(u.remote_id for u in user_data)
                yield ListingPage(user_data=user_data)
        stats = PageStats()
        ids = {"type": number, "includeFields": _ID_FIELDS if item_type in WATCHABLE_TYPES
               else "ratingKey,type", "excludeElements": _NO_ELEMENTS}  # fmt: skip
        async for page in client.pages(
            path, ids, what=f"the {item_type} ids of {title!r}", stats=stats,
            page_size=opts.id_page_size, concurrency=opts.concurrency,
        ):  # fmt: skip
            present = [str(md.rating_key) for md in page.metadata]
            user_data = []
            if item_type in WATCHABLE_TYPES:
                user_data = _watch_changes(page, item_type, prev.get(item_type, {}), seen, sent)
            ctx.report(f"{title}: {item_type} ids", stats.rows, max(stats.totals, default=None))
            yield ListingPage(present_ids={item_type: present}, user_data=user_data)
        if not stats.complete:
            log.warning("id listing of %ss in %r incomplete; not sweeping", item_type, title)
            complete[item_type] = False
    ctx.complete_types.update(t for t, ok in complete.items() if ok)
    watch: dict[str, WatchMap] = {}
    for item_type in WATCHABLE_TYPES:
        if complete[item_type]:
            watch[item_type] = seen[item_type]
        else:  # keep what we did not see this time
            watch[item_type] = {**prev.get(item_type, {}), **seen[item_type]}
    ctx.state.update(
        {"version": STATE_VERSION, "watch": watch, "sections": [str(s.key) for s in sections]}
    )


def _user_data(md: parse.Metadata, item_type: str) -> UserDataRecord:
    count = max(md.view_count or 0, 0)
    return UserDataRecord(
        remote_id=str(md.rating_key),
        type=item_type,  # type: ignore[arg-type]
        position_ms=max(md.view_offset or 0, 0),
        played=count > 0,
        play_count=count,
        last_played_at=parse.timestamp(md.last_viewed_at),
    )


def _watch_changes(
    page: parse.ItemContainer,
    item_type: str,
    prev: WatchMap,
    seen: dict[str, WatchMap],
    sent: set[str],
) -> list[UserDataRecord]:
    """Watch state that differs from the last sync and was not reported by the filters."""
    changes = []
    for md in page.metadata:
        key = str(md.rating_key)
        entry = _watch_entry(md)
        if entry is not None:
            seen[item_type][key] = entry
        if entry != prev.get(key) and key not in sent:
            changes.append(_user_data(md, item_type))
    return changes


def state_summary(state: dict[str, Any]) -> dict[str, int]:
    """Sizes of the kept watch state, for logs and diagnostics."""
    watch = state.get("watch") or {}
    return {t: len(v) for t, v in watch.items() if isinstance(v, dict)}
