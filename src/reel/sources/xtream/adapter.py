"""The Xtream Codes source: account check, catalog listing, series children, streams.

A listing starts the account check, the three category calls and the three big listings
at once; the account answer is awaited first, so bad credentials or an expired account
stop the sync before an empty listing could sweep the catalog. Listings are decoded off
the event loop and handed out in pages while the other downloads continue. Entries the
catalog already holds unchanged (same raw digest) are only named, never converted
(listing.py): that is what makes a resync with few changes cheap.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import AsyncIterator, Iterable
from typing import Any

from reel.sources.base import (
    Capabilities,
    ListingContext,
    SourceAdapter,
    SourceConfig,
    StreamMode,
    TestResult,
)
from reel.sources.errors import BadResponse, CannotConnect, InvalidAuth, SourceError
from reel.sources.http import RetryPolicy
from reel.sources.records import CategoryRecord, ItemRecord, ListingPage, ProgrammeRecord
from reel.sources.xtream import const, details, listing, parse
from reel.sources.xtream.account import account_details, allowed_formats, inactive_status
from reel.sources.xtream.client import XtreamClient, normalise_url, stream_url
from reel.sources.xtream.offload import CONVERTERS, PageConverter, convert_entries
from reel.sources.xtream.series import changed_series, refresh_series

log = logging.getLogger(__name__)


class XtreamAdapter(SourceAdapter):
    """settings: url, output ("ts"|"m3u8"), epg (bool), timeout, series_concurrency;
    secrets: username, password."""

    kind = const.KIND
    capabilities = Capabilities(children_on_demand=True, guide=True)

    def __init__(
        self,
        config: SourceConfig,
        *,
        retry: RetryPolicy | None = None,
        page_size: int = const.PAGE_SIZE,
        transport: Any = None,
    ) -> None:
        super().__init__(config)
        self.retry = retry or RetryPolicy()
        self.page_size = page_size
        self._transport = transport
        self._formats: list[str] | None = config.settings.get("allowed_output_formats")
        self._timezone: str | None = config.settings.get("timezone")

    # ---- plumbing --------------------------------------------------------------------
    def client(self) -> XtreamClient:
        url = self.config.settings.get("url")
        if not url:
            raise BadResponse(f"source {self.config.name} has no URL")
        return XtreamClient(
            str(url),
            self.config.secrets.get("username", ""),
            self.config.secrets.get("password", ""),
            source=self.config.name,
            retry=self.retry,
            timeout=float(self.config.settings.get("timeout", 60)),
            transport=self._transport,
        )

    async def _account(self, client: XtreamClient) -> tuple[parse.UserInfo, parse.ServerInfo]:
        user, server = parse.decode_account(await client.call(), self.config.name)
        self._formats = allowed_formats(user)
        self._timezone = parse.text(server.timezone) or self._timezone
        return user, server

    async def _json(self, client: XtreamClient, action: str, **params: Any) -> Any:
        data = parse.decode_any(await client.call(action, **params), action)
        parse.check_auth(data, self.config.name)
        return data

    # ---- set-up and test -------------------------------------------------------------
    async def setup(self) -> SourceConfig:
        """Normalise the URL and remember the account's formats and server time zone."""
        async with self.client() as client:
            await self._account(client)
        settings = dict(self.config.settings)
        settings["url"] = normalise_url(str(settings["url"]))
        settings["allowed_output_formats"] = self._formats or []
        if self._timezone:
            settings["timezone"] = self._timezone
        self.config = SourceConfig(self.config.name, self.kind, settings, dict(self.config.secrets))
        return self.config

    async def test(self) -> TestResult:
        started = time.perf_counter()
        try:
            async with self.client() as client:
                user, server = await self._account(client)
        except CannotConnect as exc:
            return TestResult(reachable=False, authenticated=False, message=str(exc))
        except SourceError as exc:  # bad credentials, HTML page, malformed JSON
            latency = (time.perf_counter() - started) * 1000
            return TestResult(True, False, str(exc), latency_ms=latency)
        latency = (time.perf_counter() - started) * 1000
        info = account_details(user, server)
        expiry = f"expires {info['exp_date']}" if info["exp_date"] else "does not expire"
        return TestResult(
            reachable=True,
            authenticated=True,
            message=f"account {info['status'] or 'unknown'}, {expiry}",
            details=info,
            latency_ms=latency,
        )

    # ---- listing ---------------------------------------------------------------------
    async def listing(self, ctx: ListingContext) -> AsyncIterator[ListingPage]:
        async with self.client() as client, PageConverter(self.config.name) as converter:
            tasks: dict[str, asyncio.Task[Any]] = {
                "account": asyncio.create_task(self._account(client))
            }
            for action in (*const.CATEGORY_ACTIONS.values(), *const.LISTINGS):
                tasks[action] = asyncio.create_task(client.call(action))
            try:
                user, _ = await tasks.pop("account")
                status = inactive_status(user)
                if status:
                    raise InvalidAuth(f"the account of source {self.config.name} is {status}")
                known: dict[str, set[str]] = {}
                categories: list[CategoryRecord] = []
                for kind, action in const.CATEGORY_ACTIONS.items():
                    body = await tasks.pop(action)
                    entries = (
                        parse.decode_list(body, parse.Category, action, self.config.name) or []
                    )
                    records = _categories(kind, entries)
                    known[kind] = {c.remote_id for c in records}
                    categories.extend(records)
                ctx.report("categories", len(categories), len(categories))
                yield ListingPage(libraries=list(const.LIBRARIES), categories=categories)
                for action, (kind, item_type, _, phase) in const.LISTINGS.items():
                    complete = True
                    pages = self._pages(tasks, action, known[kind], ctx, phase, converter)
                    async for page in pages:
                        if page is None:
                            complete = False
                            continue
                        yield page
                    if complete:
                        ctx.complete_types.add(item_type)
            finally:
                for task in tasks.values():
                    task.cancel()
                await asyncio.gather(*tasks.values(), return_exceptions=True)
            if self.config.settings.get("epg", True):
                async for page in self.guide_pages(client, ctx):
                    yield page

    async def _pages(
        self,
        tasks: dict[str, asyncio.Task[Any]],
        action: str,
        known: set[str],
        ctx: ListingContext,
        phase: str,
        converter: PageConverter,
    ) -> AsyncIterator[ListingPage | None]:
        """Pages of one listing; a lone None means the panel sent `null` (not complete).

        Entries whose digest matches what the catalog stored are only named as present
        (listing.py); the rest are converted page by page, in a worker process when the
        listing is big and all new (offload.py).
        """
        type_, id_field, _ = CONVERTERS[action]
        item_type = const.LISTINGS[action][1]
        stored = {h: rid for (t, rid), h in ctx.known_hashes.items() if t == item_type}
        body: bytes = await tasks.pop(action)
        cut = functools.partial(
            listing.split_raw,
            body,
            key=listing.digest_key(item_type, known),
            known=stored,
            what=action,
            source=self.config.name,
        )
        big = len(body) > const.DECODE_IN_THREAD_BYTES
        raw = await asyncio.to_thread(cut) if big else cut()
        del stored, cut
        if raw.null:
            log.warning(
                "%s: %s answered null; keeping what the catalog has", self.config.name, action
            )
            yield None
            return
        if converter.wanted(raw):
            del body
            total, done = len(raw.raws), 0
            async for records in converter.pages(action, raw, known, self.page_size):
                done += len(records)
                yield ListingPage(items=records)
                ctx.report(phase, done, total)
            return
        decode = functools.partial(listing.decode_split, raw, body, type_, id_field, what=action)
        split = await asyncio.to_thread(decode) if big else decode()
        del body, decode, raw
        entries = split.entries
        total = len(entries) + len(split.unchanged)
        if split.unchanged:
            yield ListingPage(present_ids={item_type: split.unchanged})
        done = len(split.unchanged)
        ctx.report(phase, done, total)
        for start in range(0, len(entries), self.page_size):
            records = convert_entries(action, entries[start : start + self.page_size], known)
            yield ListingPage(items=records)
            done += len(records)
            ctx.report(phase, done, total)

    async def guide_pages(
        self, client: XtreamClient, ctx: ListingContext
    ) -> AsyncIterator[ListingPage]:
        """xmltv.php in pages; a guide that fails is skipped (logged), never the catalog."""
        from reel.sources.xmltv import iter_programmes

        batch: list[ProgrammeRecord] = []
        done = 0
        try:
            async for programme in iter_programmes(
                client.xmltv(), since=ctx.prune_programmes_before
            ):
                batch.append(programme)
                if len(batch) >= self.page_size:
                    done += len(batch)
                    yield ListingPage(programmes=batch)
                    ctx.report("guide", done, None)
                    batch = []
        except (CannotConnect, BadResponse) as exc:
            log.warning("%s: guide skipped: %s", self.config.name, exc)
            return
        if batch:
            done += len(batch)
            yield ListingPage(programmes=batch)
        ctx.report("guide", done, done)
        ctx.complete_types.add("programme")

    # ---- series children -------------------------------------------------------------
    async def series_children(
        self, client: XtreamClient, series_id: str
    ) -> tuple[ListingPage, str | None]:
        """Seasons and episodes of one series plus its last_modified stamp."""
        data = await self._json(client, "get_series_info", series_id=series_id)
        return details.series_page(series_id, data)

    async def children(self, remote_id: str, ctx: ListingContext) -> AsyncIterator[ListingPage]:
        async with self.client() as client:
            page, stamp = await self.series_children(client, remote_id)
        if stamp is not None:
            ctx.state.setdefault(const.STATE_SERIES_MODIFIED, {})[remote_id] = stamp
        yield page
        ctx.complete_types.update({"season", "episode"})

    def changed_series(
        self,
        series: Iterable[tuple[str, object]],
        state: dict[str, Any],
        *,
        include_new: bool = False,
    ) -> list[tuple[str, str | None]]:
        """Which series the background pass would refetch (see series.changed_series)."""
        return changed_series(series, state, include_new=include_new)

    async def refresh_changed_series(
        self,
        series: Iterable[tuple[str, object]],
        state: dict[str, Any],
        *,
        include_new: bool = False,
        concurrency: int | None = None,
    ) -> AsyncIterator[tuple[str, ListingPage]]:
        """(series id, its seasons+episodes page) for every series whose last_modified moved.

        `state` is `ctx.state`; it is updated as pages are handed out, so the engine keeps
        the new stamps only if it saves the state after a successful pass.
        """
        limit = concurrency or int(
            self.config.settings.get("series_concurrency", const.SERIES_CONCURRENCY)
        )
        todo = changed_series(series, state, include_new=include_new)
        if not todo:
            return
        async with self.client() as client:
            async for series_id, page in refresh_series(
                self.series_children, client, todo, state, limit
            ):
                yield series_id, page

    # ---- details, EPG, streams -------------------------------------------------------
    async def vod_details(self, remote_id: str) -> ItemRecord | None:
        """get_vod_info as a movie record (plot, cast, director, duration, ids); None if unknown."""
        async with self.client() as client:
            data = await self._json(client, "get_vod_info", vod_id=remote_id)
        return details.vod_record(remote_id, data)

    async def short_epg(
        self, stream_id: str, limit: int = 4, epg_id: str | None = None
    ) -> list[ProgrammeRecord]:
        """The next `limit` programmes of one channel, titles decoded from base64."""
        async with self.client() as client:
            if self._timezone is None:
                await self._account(client)
            data = await self._json(client, "get_short_epg", stream_id=stream_id, limit=limit)
        return details.short_epg(data, epg_id or stream_id, self._timezone)

    def stream_url(
        self, remote_id: str, item_type: str, stream: dict[str, str], mode: StreamMode = "direct"
    ) -> str:
        if item_type == "channel":
            kind, ext = "live", self._live_ext(mode)
        elif item_type == "movie":
            kind, ext = "movie", stream.get("ext") or "mp4"
        elif item_type == "episode":
            kind, ext = "series", stream.get("ext") or "mp4"
        else:
            raise ValueError(f"{item_type} items of Xtream sources have no stream")
        secrets = self.config.secrets
        return stream_url(
            str(self.config.settings.get("url", "")),
            secrets.get("username", ""),
            secrets.get("password", ""),
            kind,
            remote_id,
            ext,
        )

    def _live_ext(self, mode: StreamMode) -> str:
        """m3u8 when asked for HLS or when the account may not use ts; else the setting."""
        formats = self._formats or []
        if mode == "hls":
            return "m3u8"
        wanted = self.config.settings.get("output")
        if wanted in ("ts", "m3u8") and (not formats or wanted in formats):
            return str(wanted)
        if formats and "ts" not in formats and "m3u8" in formats:
            return "m3u8"
        return "ts"


def _categories(kind: Any, entries: list[parse.Category]) -> list[CategoryRecord]:
    out: dict[str, CategoryRecord] = {}
    for entry in entries:
        remote_id = parse.ident(entry.category_id)
        if remote_id is not None and remote_id not in out:
            name = parse.text(entry.category_name) or f"Category {remote_id}"
            out[remote_id] = CategoryRecord(remote_id=remote_id, kind=kind, name=name)
    return list(out.values())
