"""All network I/O with one Plex Media Server: headers, paging, write-back calls.

Every call goes through `reel.sources.http.request` (retries, neutral errors); a refused
token becomes `InvalidAuth` with a message people understand. Listings are paged with
`X-Plex-Container-Start/Size` and fetched a few pages at a time in a sliding window, so a
large library streams through in bounded memory while the server works in parallel.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgspec

from reel.sources.errors import BadResponse, InvalidAuth
from reel.sources.http import NO_RETRY, RetryPolicy, looks_like_html, make_client, request
from reel.sources.plex import parse, parse_xml
from reel.sources.plex.const import (
    LIBRARY_IDENTIFIER,
    PAGE_CONCURRENCY,
    PAGE_SIZE,
    PMS_API_VERSION,
    PRODUCT,
    VERSION,
)

log = logging.getLogger(__name__)

TOKEN_MESSAGE = "the Plex token expired or was revoked; sign in again"


def plex_headers(client_id: str, token: str | None = None) -> dict[str, str]:
    """The X-Plex-* identity every Plex and plex.tv call carries."""
    headers = {
        "Accept": "application/json",
        "X-Plex-Product": PRODUCT,
        "X-Plex-Version": VERSION,
        "X-Plex-Client-Identifier": client_id,
        "X-Plex-Pms-Api-Version": PMS_API_VERSION,
    }
    if token:
        headers["X-Plex-Token"] = token
    return headers


@dataclass
class PageStats:
    """What a paged listing saw, to decide whether it was complete.

    A listing is complete only when every page agreed on the total and the rows add up:
    items added or removed mid-listing shift offsets, and a sweep after such a listing could
    delete an item that was merely skipped.
    """

    totals: set[int] = field(default_factory=set)
    rows: int = 0
    finished: bool = False

    @property
    def complete(self) -> bool:
        return self.finished and len(self.totals) == 1 and self.rows == next(iter(self.totals))


class _Counted(msgspec.Struct, rename="camel"):
    """A listing page's total and items, the items left as raw JSON (cheap to skip)."""

    total_size: int | None = None
    metadata: list[msgspec.Raw] = msgspec.field(default_factory=list, name="Metadata")


@dataclass
class RawPage:
    """One fetched listing page, its body not yet decoded into items.

    `total_size` and `rows` are what the decoded page would say (set once counted), so a
    listing's PageStats come out the same whoever decodes the body. An XML body (a server
    that ignores `Accept`) is decoded at once: counting it means parsing it anyway.
    """

    body: bytes
    total_size: int | None
    rows: int
    container: parse.ItemContainer | None = None

    def count(self, what: str) -> None:
        counted = parse.decode(self.body, _Counted, what)
        self.total_size, self.rows = counted.total_size, len(counted.metadata)

    def decode(self, what: str) -> parse.ItemContainer:
        """The page's items, decoded once (an XML page already is)."""
        if self.container is None:
            self.container = parse.decode(self.body, parse.ItemContainer, what)
        return self.container


class PlexClient:
    """One server at one base URL (the adapter switches URL when a connection fails)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        client_id: str,
        *,
        retry: RetryPolicy = RetryPolicy(),
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry = retry
        self._http = make_client(
            headers=plex_headers(client_id, token), timeout=timeout, transport=transport
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def get(
        self,
        path: str,
        *,
        what: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
    ) -> bytes:
        """GET a path on the server; the body, fully read."""
        extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
        try:
            response = await request(
                self._http,
                "GET",
                self.base_url + path,
                what=what,
                retry=retry or self.retry,
                params=params,
                headers=headers,
                **extra,
            )
        except InvalidAuth:
            raise InvalidAuth(TOKEN_MESSAGE) from None
        if looks_like_html(response.content):
            raise BadResponse(f"the server answered {what} with an HTML page")
        return response.content

    async def server_root(self) -> parse.ServerRoot:
        """`GET /`: needs a valid token, so it checks auth as well as reachability."""
        body = await self.get("/", what="the server root")
        if body.lstrip()[:1] == b"<":
            return parse_xml.server_root(body)
        return parse.decode(body, parse.ServerRoot, "the server root")

    async def identity(self, timeout: float | None = None) -> parse.ServerRoot:
        """`GET /identity`: answers without a token; one quick try, for probing."""
        what = "the server identity"
        body = await self.get("/identity", what=what, retry=NO_RETRY, timeout=timeout)
        if body.lstrip()[:1] == b"<":
            return parse_xml.server_root(body, what)
        return parse.decode(body, parse.ServerRoot, what)

    async def sections(self) -> list[parse.Section]:
        body = await self.get("/library/sections", what="the library sections")
        if body.lstrip()[:1] == b"<":
            return parse_xml.sections(body).directories
        return parse.decode(body, parse.SectionContainer, "the library sections").directories

    async def _page(
        self, path: str, params: Mapping[str, Any], start: int, size: int, what: str
    ) -> parse.ItemContainer:
        return (await self._raw_page(path, params, start, size, what)).decode(what)

    async def _raw_page(
        self, path: str, params: Mapping[str, Any], start: int, size: int, what: str
    ) -> RawPage:
        headers = {"X-Plex-Container-Start": str(start), "X-Plex-Container-Size": str(size)}
        body = await self.get(path, what=what, params=params, headers=headers)
        if body.lstrip()[:1] == b"<":
            container = parse_xml.items(body, what)
            total, rows = container.total_size, len(container.metadata)
            return RawPage(body, total, rows, container)
        return RawPage(body, None, 0)

    async def count(self, path: str, params: Mapping[str, Any], *, what: str) -> int:
        """How many items a listing holds, from an empty page (`X-Plex-Container-Size=0`)."""
        page = await self._page(path, params, 0, 0, what)
        return page.total_size if page.total_size is not None else len(page.metadata)

    async def pages(
        self,
        path: str,
        params: Mapping[str, Any],
        *,
        what: str,
        stats: PageStats | None = None,
        page_size: int = PAGE_SIZE,
        concurrency: int = PAGE_CONCURRENCY,
    ) -> AsyncIterator[parse.ItemContainer]:
        """Yield every page of a listing in order, fetching up to `concurrency` at once."""
        async for page in self._pages(
            path, params, what, stats, page_size, concurrency, raw=False
        ):  # fmt: skip
            assert page.container is not None
            yield page.container

    async def raw_pages(
        self,
        path: str,
        params: Mapping[str, Any],
        *,
        what: str,
        stats: PageStats | None = None,
        page_size: int = PAGE_SIZE,
        concurrency: int = PAGE_CONCURRENCY,
    ) -> AsyncIterator[RawPage]:
        """`pages`, with JSON bodies left undecoded (only counted) for a caller that decodes
        them elsewhere (a worker process); `stats` are kept exactly as `pages` keeps them."""
        async for page in self._pages(
            path, params, what, stats, page_size, concurrency, raw=True
        ):  # fmt: skip
            yield page

    async def _pages(
        self,
        path: str,
        params: Mapping[str, Any],
        what: str,
        stats: PageStats | None,
        page_size: int,
        concurrency: int,
        *,
        raw: bool,
    ) -> AsyncIterator[RawPage]:
        stats = stats if stats is not None else PageStats()

        async def fetch(start: int, size: int) -> RawPage:
            page = await self._raw_page(path, params, start, size, what)
            if page.container is None:
                if raw:
                    page.count(what)
                else:  # decoded here: the body is no longer needed
                    container = page.decode(what)
                    page.body, page.total_size = b"", container.total_size
                    page.rows = len(container.metadata)
            return page

        first = await fetch(0, page_size)
        total = first.total_size if first.total_size is not None else first.rows
        stats.totals.add(total)
        stats.rows += first.rows
        # A server may cap the page size below what we asked: step by what it gave.
        step = min(page_size, first.rows) or page_size
        yield first
        offsets = iter(range(step, total, step))
        pending: deque[asyncio.Task[RawPage]] = deque()

        def schedule() -> None:
            start = next(offsets, None)
            if start is not None:
                pending.append(asyncio.create_task(fetch(start, step)))

        try:
            for _ in range(max(concurrency, 1)):
                schedule()
            while pending:
                page = await pending.popleft()
                schedule()
                if page.total_size is not None:
                    stats.totals.add(page.total_size)
                stats.rows += page.rows
                yield page
            stats.finished = True
        finally:
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)

    async def metadata(self, rating_key: str) -> parse.ItemContainer:
        what = f"item {rating_key}"
        body = await self.get(f"/library/metadata/{rating_key}", what=what)
        return parse.items_page(body, what)

    async def scrobble(self, rating_key: str, played: bool) -> None:
        """Mark watched/unwatched; GET like python-plexapi (the server takes PUT too)."""
        path = "/:/scrobble" if played else "/:/unscrobble"
        params = {"key": rating_key, "identifier": LIBRARY_IDENTIFIER}
        await self.get(path, what=f"marking item {rating_key}", params=params)

    async def timeline(
        self, rating_key: str, state: str, time_ms: int, duration_ms: int | None
    ) -> None:
        """Report a playback position; the server keeps it as the resume point."""
        params: dict[str, Any] = {
            "ratingKey": rating_key,
            "key": f"/library/metadata/{rating_key}",
            "identifier": LIBRARY_IDENTIFIER,
            "state": state,
            "time": max(int(time_ms), 0),
        }
        if duration_ms is not None:
            params["duration"] = int(duration_ms)
        await self.get("/:/timeline", what=f"progress of item {rating_key}", params=params)
