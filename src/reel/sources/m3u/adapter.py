"""The M3U playlist + XMLTV guide source.

Settings: `url` (playlist URL or local path) and optional `epg` (guide URL or path). An
HTTP(S) location is a secret: IPTV panels put the account in it (`get.php?username=…&
password=…`, tokens, or `/user/pass/` paths), so `setup()` moves every remote location
into `secrets` and leaves only `url_display`/`epg_display` (scheme, host and port) in
the settings. Local paths stay in the settings.

A listing yields the playlist's items in pages, then the guide's programmes. The guide
configured with `--epg` must load or the sync fails (atomically, like any step); guides
that the playlist header merely advertises (`url-tvg`/`x-tvg-url`, often third-party
sites) are best effort: a failure is logged and the programmes are left as they were
(`"programme"` is only added to `ctx.complete_types` when every guide loaded).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from typing import ClassVar

import httpx
import msgspec

from reel.sources.base import (
    Capabilities,
    ListingContext,
    SourceAdapter,
    SourceConfig,
    StreamMode,
    TestResult,
)
from reel.sources.errors import BadResponse, CannotConnect, InvalidAuth, SourceError
from reel.sources.http import RetryPolicy, looks_like_html, make_client
from reel.sources.m3u import client as io
from reel.sources.m3u.const import AUTH_ERROR_BODIES, ITEM_PAGE, KIND, PROGRAMME_PAGE
from reel.sources.m3u.mapping import Built, RecordBuilder, fill_template, fit_key
from reel.sources.m3u.parse import M3uEntry, M3uParser, TextDecoder
from reel.sources.records import ITEM_TYPES, ListingPage, ProgrammeRecord
from reel.sources.xmltv import GuideChannel, GuideStats, iter_guide

log = logging.getLogger(__name__)


def _check_body(head: bytes) -> None:
    """Refuse bodies that are clearly not a playlist before they can empty the catalog."""
    if looks_like_html(head):
        raise BadResponse("the playlist URL returned an HTML page instead of an M3U playlist")
    word = head.strip().upper()
    if len(word) < 64 and any(word.startswith(code) for code in AUTH_ERROR_BODIES):
        raise InvalidAuth(
            f"the playlist server refused the account ({word.decode(errors='replace')})"
        )


class M3uAdapter(SourceAdapter):
    """Any M3U/M3U Plus playlist, local or remote, with optional XMLTV guides."""

    kind: ClassVar[str] = KIND
    capabilities: ClassVar[Capabilities] = Capabilities(guide=True)

    def __init__(
        self,
        config: SourceConfig,
        *,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(config)
        self.retry = retry or RetryPolicy()
        self._transport = transport

    # -- configuration -------------------------------------------------------------
    def _location(self, key: str) -> str | None:
        value = self.config.secrets.get(key) or self.config.settings.get(key)
        return str(value).strip() or None if value else None

    @property
    def playlist(self) -> str:
        location = self._location("url")
        if location is None:
            raise SourceError(f"source {self.config.name} has no playlist URL or path")
        return location

    @property
    def account(self) -> tuple[str, str] | None:
        return io.account_of(self.playlist)

    async def setup(self) -> SourceConfig:
        settings = dict(self.config.settings)
        secrets = dict(self.config.secrets)
        for key in ("url", "epg"):
            location = self._location(key)
            settings.pop(key, None)
            secrets.pop(key, None)
            if location is None:
                continue
            if io.is_remote(location):
                secrets[key] = location
                settings[f"{key}_display"] = io.redact(location)
            else:
                settings[key] = location
        return SourceConfig(self.config.name, self.config.kind, settings, secrets)

    def _client(self) -> httpx.AsyncClient:
        return make_client(timeout=60.0, transport=self._transport)

    # -- probing ---------------------------------------------------------------------
    async def test(self) -> TestResult:
        started = time.monotonic()
        details: dict[str, object] = {"playlist": io.redact(self.playlist)}
        epg = self._location("epg")
        details["epg"] = io.redact(epg) if epg else "from the playlist header, if any"
        try:
            async with self._client() as client:
                head = await io.peek(
                    self.playlist, what="the M3U playlist", client=client, limit=65536
                )
            _check_body(head)
        except InvalidAuth as exc:
            return TestResult(True, False, str(exc), details)
        except CannotConnect as exc:
            return TestResult(False, False, str(exc), details)
        except SourceError as exc:
            return TestResult(True, True, str(exc), details)
        latency = (time.monotonic() - started) * 1000
        text = head.decode("utf-8", "replace").lstrip("\ufeff \r\n\t")
        if not text.upper().startswith("#EXTM3U") and "#EXTINF" not in text.upper():
            return TestResult(True, True, "the location does not hold an M3U playlist", details)
        return TestResult(True, True, "playlist reachable", details, latency)

    # -- listing -----------------------------------------------------------------------
    async def listing(self, ctx: ListingContext) -> AsyncIterator[ListingPage]:
        async with self._client() as client:
            builder = RecordBuilder(self.account)
            parser = M3uParser()
            async for page in self._playlist(client, builder, parser, ctx):
                yield page
            ctx.complete_types.update(ITEM_TYPES)
            log.info("source %s: playlist gave %s", self.config.name, builder.counts)
            async for page in self._guides(client, builder, parser, ctx):
                yield page

    async def _playlist(
        self,
        client: httpx.AsyncClient,
        builder: RecordBuilder,
        parser: M3uParser,
        ctx: ListingContext,
    ) -> AsyncIterator[ListingPage]:
        chunks = await io.open_location(
            self.playlist, what="the M3U playlist", client=client, retry=self.retry
        )
        decoder = TextDecoder()
        page = ListingPage()
        entries = size = 0
        async for chunk in chunks:
            if size == 0:
                _check_body(chunk)
            size += len(chunk)
            for entry in parser.feed(decoder.decode(chunk)):
                entries += 1
                self._add(page, builder.build(entry))
            if len(page.items) >= ITEM_PAGE:
                yield page
                page = ListingPage()
                ctx.report("playlist", entries, None)
        tail: list[M3uEntry] = parser.feed(decoder.decode(b"", final=True)) + parser.close()
        for entry in tail:
            entries += 1
            self._add(page, builder.build(entry))
        if size == 0:
            raise BadResponse("the M3U playlist is empty")
        if entries == 0 and not parser.header.seen:
            raise BadResponse("the location does not hold an M3U playlist (no #EXTM3U, no entries)")
        if parser.garbage:
            log.warning(
                "source %s: skipped %d unreadable playlist lines", self.config.name, parser.garbage
            )
        if page.items or page.libraries or page.categories:
            yield page
        ctx.report("playlist", entries, entries)

    @staticmethod
    def _add(page: ListingPage, built: Built) -> None:
        page.libraries.extend(built.libraries)
        page.categories.extend(built.categories)
        page.items.extend(built.items)

    async def _guides(
        self,
        client: httpx.AsyncClient,
        builder: RecordBuilder,
        parser: M3uParser,
        ctx: ListingContext,
    ) -> AsyncIterator[ListingPage]:
        configured = self._location("epg")
        if configured is not None:
            guides = [(configured, True)]
        else:
            guides = [(io.resolve(url, self.playlist), False) for url in parser.header.guide_urls]
        complete = bool(guides) and bool(builder.epg_ids)
        if not builder.epg_ids:
            return  # no channels, nothing to match a guide to
        for location, required in guides:
            try:
                async for page in self._guide(client, location, builder, ctx):
                    yield page
            except SourceError as exc:
                if required:
                    raise
                complete = False
                log.warning(
                    "source %s: skipped the guide advertised at %s: %s",
                    self.config.name, io.redact(location), exc,
                )  # fmt: skip
        if complete:
            ctx.complete_types.add("programme")

    async def _guide(
        self, client: httpx.AsyncClient, location: str, builder: RecordBuilder, ctx: ListingContext
    ) -> AsyncIterator[ListingPage]:
        chunks = await io.open_location(
            location, what="the XMLTV guide", client=client, retry=self.retry
        )
        stats = GuideStats()
        aliases: dict[str, str] = {}
        unmatched = 0
        page: list[ProgrammeRecord] = []
        async for record in iter_guide(chunks, since=ctx.prune_programmes_before, stats=stats):
            if isinstance(record, GuideChannel):
                self._alias(record, builder, aliases)
                continue
            key = fit_key(record.channel_key)
            target = aliases.get(key) or (key if key in builder.epg_ids else None)
            if target is None:
                unmatched += 1
                continue
            if target != record.channel_key:
                record = msgspec.structs.replace(record, channel_key=target)
            page.append(record)
            if len(page) >= PROGRAMME_PAGE:
                yield ListingPage(programmes=page)
                page = []
                ctx.report("guide", stats.programmes, None)
        if page:
            yield ListingPage(programmes=page)
        ctx.report("guide", stats.programmes, stats.programmes)
        log.info(
            "source %s: guide %s gave %d programmes (%d for unknown channels, %d old, %d broken)",
            self.config.name, io.redact(location), stats.programmes - unmatched, unmatched,
            stats.old, stats.broken,
        )  # fmt: skip

    @staticmethod
    def _alias(channel: GuideChannel, builder: RecordBuilder, aliases: dict[str, str]) -> None:
        """Map a guide channel to a playlist channel: by id, else by display name (Kodi)."""
        key = fit_key(channel.id)
        if key in builder.epg_ids:
            aliases[key] = key
            return
        for name in channel.display_names:
            target = builder.channel_names.get(name) or builder.channel_names.get(
                name.replace(" ", "_")
            )
            if target is not None:
                aliases[key] = target
                return

    # -- playback ----------------------------------------------------------------------
    def stream_url(
        self, remote_id: str, item_type: str, stream: dict[str, str], mode: StreamMode = "direct"
    ) -> str:
        url = fill_template(stream, self.account)
        if mode == "hls" and item_type == "channel" and "/live/" in url and url.endswith(".ts"):
            url = url[: -len(".ts")] + ".m3u8"
        return url
