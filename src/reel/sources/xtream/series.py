"""The background pass over series: refetch children only where `last_modified` moved.

A panel with 10k series cannot be asked for every series on every sync, and panels ban
clients that open many connections, so the pass compares stamps kept in `ctx.state` and
fetches with a small, fixed number of workers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

from reel.sources.errors import BadResponse
from reel.sources.records import ListingPage
from reel.sources.xtream import parse
from reel.sources.xtream.client import XtreamClient
from reel.sources.xtream.const import STATE_SERIES_MODIFIED

log = logging.getLogger(__name__)

FetchSeries = Callable[[XtreamClient, str], Awaitable[tuple[ListingPage, str | None]]]
_DONE = object()


def changed_series(
    series: Iterable[tuple[str, object]], state: dict[str, Any], *, include_new: bool = False
) -> list[tuple[str, str | None]]:
    """(id, stamp) of series whose stamp differs from the one stored for their children.

    Series whose children were never fetched are left to be fetched on first open, unless
    `include_new` asks for them too.
    """
    known: dict[str, Any] = state.get(STATE_SERIES_MODIFIED) or {}
    out: list[tuple[str, str | None]] = []
    for remote_id, last_modified in series:
        stamp = parse.stamp(last_modified)
        if remote_id in known:
            if known[remote_id] != stamp:
                out.append((remote_id, stamp))
        elif include_new:
            out.append((remote_id, stamp))
    return out


async def refresh_series(
    fetch: FetchSeries,
    client: XtreamClient,
    todo: list[tuple[str, str | None]],
    state: dict[str, Any],
    concurrency: int,
) -> AsyncIterator[tuple[str, ListingPage]]:
    """Fetch `todo` with `concurrency` workers; yield pages as they arrive.

    A series the panel answers badly is skipped (its stamp is not updated, so the next
    pass retries it); losing the connection or the credentials ends the pass.
    """
    known = state.setdefault(STATE_SERIES_MODIFIED, {})
    pending = iter(todo)
    results: asyncio.Queue[Any] = asyncio.Queue(maxsize=max(concurrency, 1) * 2)

    async def worker() -> None:
        for series_id, stamp in pending:  # one shared iterator: each id goes to one worker
            try:
                page, fresh = await fetch(client, series_id)
            except BadResponse as exc:
                log.warning("series %s skipped: %s", series_id, exc)
                continue
            await results.put((series_id, stamp or fresh, page))

    workers = [asyncio.create_task(worker()) for _ in range(max(1, min(concurrency, len(todo))))]

    async def supervise() -> None:
        try:
            await asyncio.gather(*workers)
        finally:
            await results.put(_DONE)

    supervisor = asyncio.create_task(supervise())
    try:
        while (item := await results.get()) is not _DONE:
            series_id, stamp, page = item
            known[series_id] = stamp
            yield series_id, page
        await supervisor  # re-raises what stopped a worker
    finally:
        for task in (*workers, supervisor):
            task.cancel()
        await asyncio.gather(*workers, supervisor, return_exceptions=True)
