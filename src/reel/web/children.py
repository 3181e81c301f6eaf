"""Seasons and episodes fetched when a show is opened, for sources that list them on
demand (Xtream's series: the catalog listing has the shows, each series' episodes are a
request of their own).

One fetch per show at a time: people opening the same show at once share it. The request
waits a bounded time; a fetch that outlives it keeps going and stores its result (the
page hears of it as `items.changed`), so a slow panel's work is not thrown away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from reel.errors import ReelError
from reel.sources.errors import CannotConnect, InvalidAuth, SourceError
from reel.sync.children import ChildrenResult, ChildrenSync

log = logging.getLogger(__name__)

FETCH_TIMEOUT_S = 20.0


class SourceUnavailable(ReelError):
    """The source could not give what was asked for now (unreachable or too slow)."""

    status_code = 503
    retry_after = 30


class SourceRefused(ReelError):
    """The source answered, but not with what was asked for."""

    status_code = 502


class ChildrenFetcher:
    """Runs `ChildrenSync.sync_children` for the web app, deduplicated and bounded."""

    def __init__(self, sync: ChildrenSync | None = None, timeout: float = FETCH_TIMEOUT_S) -> None:
        self.sync = sync
        self.timeout = timeout
        self._running: dict[int, asyncio.Task[ChildrenResult]] = {}

    async def fetch(self, source: str, item_id: int, title: str) -> ChildrenResult:
        """Fetch and store the children of `item_id` now; errors say what to do next."""
        if self.sync is None:
            raise RuntimeError("ChildrenFetcher.sync is not set")
        task = self._running.get(item_id)
        if task is None:
            task = asyncio.get_running_loop().create_task(
                self.sync.sync_children(source, item_id), name=f"children of {item_id}"
            )
            self._running[item_id] = task
            task.add_done_callback(lambda _t: self._running.pop(item_id, None))
        try:
            return await asyncio.wait_for(asyncio.shield(task), self.timeout)
        except TimeoutError:
            raise SourceUnavailable(
                f"{source} took more than {self.timeout:.0f} s to list the episodes of "
                f"“{title}”; they are still being fetched and will appear on this page"
            ) from None
        except CannotConnect as exc:
            log.info("children of item %s: %s is unreachable: %s", item_id, source, exc)
            raise SourceUnavailable(
                f"{source} cannot be reached, so the episodes of “{title}” (never fetched "
                f"before) are not in the catalog yet; try again when it is back ({exc})"
            ) from None
        except InvalidAuth as exc:
            raise SourceRefused(
                f"{source} refused Reel's credentials while listing “{title}”: {exc}; "
                "check the source's settings"
            ) from None
        except SourceError as exc:
            raise SourceRefused(
                f"{source} answered badly while listing the episodes of “{title}”: {exc}"
            ) from None

    async def close(self) -> None:
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
