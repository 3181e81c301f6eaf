"""`StartIndex`/`Limit` paging with a bounded number of pages in flight.

The first page gives `TotalRecordCount`; the rest are fetched a few at a time and handed
out in order, so memory stays bounded and the engine sees a stable sequence. A listing is
complete only when every page arrived and the distinct ids cover the announced total —
anything less must never lead to deletions.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable

from reel.sources.jellyfin.parse import ItemsResult

FetchPage = Callable[[int, int], Awaitable[ItemsResult]]


class PagedListing:
    """Iterate the pages of one query; `complete` says whether nothing was missed."""

    def __init__(self, fetch: FetchPage, page_size: int, concurrency: int) -> None:
        self._fetch = fetch
        self._page_size = max(1, page_size)
        self._concurrency = max(1, concurrency)
        self.total: int | None = None
        self.seen: set[str] = set()
        self._finished = False

    @property
    def complete(self) -> bool:
        """True once every page arrived and the ids seen cover the first page's total."""
        return self._finished and self.total is not None and len(self.seen) >= self.total

    def _note(self, page: ItemsResult) -> ItemsResult:
        self.seen.update(item.id for item in page.items)
        return page

    async def pages(self) -> AsyncIterator[ItemsResult]:
        """Yield pages in order; pending fetches are cancelled if the consumer stops."""
        first = await self._fetch(0, self._page_size)
        self.total = first.total_record_count
        # A server that caps `Limit` below our page size sets the stride, or we would skip.
        stride = len(first.items) if 0 < len(first.items) < self._page_size else self._page_size
        yield self._note(first)
        starts = iter(range(stride, self.total, stride))
        pending: deque[asyncio.Task[ItemsResult]] = deque()
        try:
            for start in starts:
                pending.append(asyncio.ensure_future(self._fetch(start, stride)))
                if len(pending) >= self._concurrency:
                    break
            while pending:
                page = await pending.popleft()
                nxt = next(starts, None)
                if nxt is not None:
                    pending.append(asyncio.ensure_future(self._fetch(nxt, stride)))
                yield self._note(page)
            self._finished = True
        finally:
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
