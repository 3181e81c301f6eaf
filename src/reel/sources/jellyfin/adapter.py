"""Jellyfin as a Reel source: sign-in, full and incremental listing, write-back, streams.

Incremental syncs cannot rely on `MinDateLastSaved` alone: it finds metadata changes, but
watch state changed on another device does not bump `DateLastSaved` (nor does
`MinDateLastSavedForUser` help on 10.9+). So an incremental sync lists changed items in
full and then runs one cheap listing of ids + UserData over everything; that listing
reports watch state and, when it completed, the ids present for the deletion sweep.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

import httpx

from reel.sources.base import (
    Capabilities,
    ListingContext,
    PlayState,
    SourceAdapter,
    SourceConfig,
    StreamMode,
    TestResult,
)
from reel.sources.errors import InvalidAuth, SourceError
from reel.sources.http import RetryPolicy
from reel.sources.jellyfin.client import JellyfinClient
from reel.sources.jellyfin.const import (
    DEFAULT_CONCURRENCY,
    DEFAULT_PAGE_SIZE,
    DETAIL_FIELDS,
    ITEM_KINDS,
    KINDS_BY_LIBRARY,
    PRESENCE_PAGE_SIZE,
    SINCE_OVERLAP_S,
    SKIPPED_COLLECTIONS,
    SORT_BY,
    TICKS_PER_MS,
)
from reel.sources.jellyfin.paging import PagedListing
from reel.sources.jellyfin.parse import ItemsResult, library_kind, to_item, to_user_data
from reel.sources.records import LibraryKind, LibraryRecord, ListingPage

log = logging.getLogger(__name__)

Library = tuple[str, LibraryKind]


class JellyfinAdapter(SourceAdapter):
    """One Jellyfin server and one account on it."""

    kind: ClassVar[str] = "jellyfin"
    capabilities: ClassVar[Capabilities] = Capabilities(
        incremental=True, progress_write_back=True, streams=True, images=True
    )

    def __init__(
        self,
        config: SourceConfig,
        *,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(config)
        settings = config.settings
        # The source-management code supplies a device id that is stable per install;
        # a token is bound to it, so one made up here is kept in the returned settings.
        settings.setdefault("device_id", uuid.uuid4().hex)
        self.page_size = int(settings.get("page_size", DEFAULT_PAGE_SIZE))
        self.concurrency = int(settings.get("concurrency", DEFAULT_CONCURRENCY))
        self.client = JellyfinClient(
            str(settings.get("url", "")),
            device_id=str(settings["device_id"]),
            source_name=config.name,
            token=config.secrets.get("token"),
            retry=retry or RetryPolicy(),
            timeout=float(settings.get("timeout", 30.0)),
            max_connections=max(4, self.concurrency * 2),
            transport=transport,
        )
        self._playing: dict[str, str] = {}

    # -- sign-in and checks ---------------------------------------------------------

    async def setup(self) -> SourceConfig:
        """Swap username and password for a token; the password is not kept."""
        username = self.config.secrets.get("username", "")
        password = self.config.secrets.get("password", "")
        if not username:
            raise InvalidAuth(f"source {self.config.name} needs a username to sign in")
        info = await self.client.public_info()
        result = await self.client.authenticate(username, password)
        settings = dict(self.config.settings)
        settings.update(
            user_id=result.user.id,
            server_id=result.server_id or info.id,
            server_name=info.server_name,
        )
        self.config = SourceConfig(
            name=self.config.name,
            kind=self.kind,
            settings=settings,
            secrets={"token": result.access_token},
        )
        log.info("signed in to Jellyfin source %s as user %s", self.config.name, result.user.id)
        return self.config

    async def test(self) -> TestResult:
        """Reachability from the public info call, then the token against `/Users/Me`."""
        started = time.perf_counter()
        try:
            info = await self.client.public_info()
        except SourceError as exc:
            return TestResult(reachable=False, authenticated=False, message=str(exc))
        latency = (time.perf_counter() - started) * 1000
        details: dict[str, Any] = {"server_name": info.server_name, "version": info.version}
        try:
            user = await self.client.current_user()
        except SourceError as exc:
            return TestResult(True, False, str(exc), details, latency)
        details["user"] = user.name
        details["user_id"] = user.id
        return TestResult(True, True, f"signed in as {user.name}", details, latency)

    def _user_id(self) -> str:
        user_id = self.config.settings.get("user_id")
        if not user_id or not self.client.token:
            raise InvalidAuth(f"source {self.config.name} is not signed in — sign in again")
        return str(user_id)

    # -- listing --------------------------------------------------------------------

    async def listing(self, ctx: ListingContext) -> AsyncIterator[ListingPage]:
        """Libraries, then items kind by kind (parents first), then watch state."""
        user_id = self._user_id()
        views = await self.client.user_views(user_id)
        sync_started = self.client.server_date or datetime.now(UTC)
        kept = [v for v in views if (v.collection_type or "").lower() not in SKIPPED_COLLECTIONS]
        libraries: list[Library] = [(v.id, library_kind(v.collection_type)) for v in kept]
        yield ListingPage(
            libraries=[
                LibraryRecord(remote_id=view.id, title=view.name or view.id, kind=kind)
                for view, (_, kind) in zip(kept, libraries, strict=True)
            ]
        )
        since = self._since(ctx)
        complete: set[str] = set()
        # Full: every item in detail. Incremental: changed items in detail, then ids + UserData.
        passes = [(True, since)] if since is None else [(True, since), (False, None)]
        for detail, cutoff in passes:
            for server_kind, our_type in ITEM_KINDS.items():
                holders = [
                    lib for lib, kind in libraries if server_kind in KINDS_BY_LIBRARY.get(kind, ())
                ]
                all_done = True
                for library_id in holders:
                    listing = self._paged(user_id, library_id, server_kind, cutoff, detail=detail)
                    pages = (
                        self._detail_pages(listing, library_id, our_type, ctx)
                        if detail
                        else self._presence_pages(listing, our_type, ctx)
                    )
                    async for page in pages:
                        yield page
                    all_done = all_done and listing.complete
                # Only a listing of everything (no cut-off) may drive deletions.
                if cutoff is None and all_done:
                    complete.add(our_type)
        ctx.complete_types.update(complete)
        ctx.state["cursor"] = sync_started.astimezone(UTC).isoformat()

    def _since(self, ctx: ListingContext) -> datetime | None:
        """The metadata cut-off: the server's clock at the last sync's start, less an overlap."""
        if ctx.full or ctx.since is None:
            return None
        cursor = ctx.state.get("cursor")
        start = ctx.since
        if isinstance(cursor, str):
            try:
                start = datetime.fromisoformat(cursor)
            except ValueError:
                log.warning("source %s: ignoring a bad sync cursor", self.config.name)
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        return start - timedelta(seconds=SINCE_OVERLAP_S)

    def _paged(
        self,
        user_id: str,
        library_id: str,
        server_kind: str,
        since: datetime | None,
        *,
        detail: bool,
    ) -> PagedListing:
        params: dict[str, Any] = {
            "userId": user_id,
            "ParentId": library_id,
            "IncludeItemTypes": server_kind,
            "Recursive": "true",
            "SortBy": SORT_BY,
            "SortOrder": "Ascending",
            "EnableUserData": "true",
            "EnableTotalRecordCount": "true",
        }
        if detail:
            params["Fields"] = DETAIL_FIELDS
        else:
            params["EnableImages"] = "false"
        if since is not None:
            params["MinDateLastSaved"] = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        what = f"{'listing' if detail else 'checking'} {server_kind} items"

        async def fetch(start: int, limit: int) -> ItemsResult:
            return await self.client.items({**params, "StartIndex": start, "Limit": limit}, what)

        size = self.page_size if detail else max(self.page_size, PRESENCE_PAGE_SIZE)
        return PagedListing(fetch, size, self.concurrency)

    async def _detail_pages(
        self, listing: PagedListing, library_id: str, our_type: str, ctx: ListingContext
    ) -> AsyncIterator[ListingPage]:
        done = 0
        async for result in listing.pages():
            page = ListingPage()
            for dto in result.items:
                record = to_item(dto, library_id)
                if record is None:
                    continue
                page.items.append(record)
                if (data := to_user_data(dto)) is not None:
                    page.user_data.append(data)
            done += len(result.items)
            ctx.report(our_type, done, listing.total)
            yield page

    async def _presence_pages(
        self, listing: PagedListing, our_type: str, ctx: ListingContext
    ) -> AsyncIterator[ListingPage]:
        done = 0
        async for result in listing.pages():
            ids = [dto.id for dto in result.items]
            user_data = [data for dto in result.items if (data := to_user_data(dto))]
            done += len(ids)
            ctx.report(f"{our_type} check", done, listing.total)
            yield ListingPage(present_ids={our_type: ids}, user_data=user_data)

    # -- artwork and streams ----------------------------------------------------------

    def image_request(self, ref: str) -> tuple[str, dict[str, str]]:
        """Artwork refs are server paths; the header keeps working behind auth proxies."""
        return self.client.base_url + ref, {"Authorization": self.client.auth_header}

    def stream_url(
        self, remote_id: str, item_type: str, stream: dict[str, str], mode: StreamMode = "direct"
    ) -> str:
        """The stream URL without credentials (see `stream_request` for how to fetch it)."""
        item = quote(remote_id, safe="")
        query: dict[str, str] = {
            "mediaSourceId": stream.get("media_source_id", remote_id),
            "deviceId": self.client.device_id,
        }
        if mode == "hls":
            query.update(
                playSessionId=self._play_session(remote_id),
                videoCodec="h264",
                audioCodec="aac",
                segmentContainer="ts",
                transcodingMaxAudioChannels="2",
            )
            return f"{self.client.base_url}/Videos/{item}/master.m3u8?{urlencode(query)}"
        query = {"static": "true", **query}
        return f"{self.client.base_url}/Videos/{item}/stream?{urlencode(query)}"

    def stream_request(
        self, remote_id: str, item_type: str, stream: dict[str, str], mode: StreamMode = "direct"
    ) -> tuple[str, dict[str, str]]:
        """URL and headers for a server-side stream proxy.

        A browser cannot add headers to a <video> src and Jellyfin 12 refuses `api_key`,
        so the web app proxies the stream and sends the Authorization header itself;
        HLS variant playlists and segments under `/Videos/{id}/` need the same header.
        """
        return self.stream_url(remote_id, item_type, stream, mode), {
            "Authorization": self.client.auth_header
        }

    # -- write-back -------------------------------------------------------------------

    def _play_session(self, remote_id: str) -> str:
        return (
            self._playing.get(remote_id)
            or uuid.uuid5(uuid.NAMESPACE_URL, f"{self.client.device_id}:{remote_id}").hex
        )

    async def report_progress(
        self,
        remote_id: str,
        item_type: str,
        position_ms: int,
        duration_ms: int | None,
        state: PlayState,
    ) -> None:
        """Start on the first report, progress after it, stopped at the end."""
        session = self._play_session(remote_id)
        body: dict[str, Any] = {
            "ItemId": remote_id,
            "MediaSourceId": remote_id,
            "PositionTicks": max(0, position_ms) * TICKS_PER_MS,
            "PlaySessionId": session,
        }
        if state == "stopped":
            self._playing.pop(remote_id, None)
            await self.client.post("/Sessions/Playing/Stopped", body, "reporting playback stop")
            return
        body.update(IsPaused=state == "paused", CanSeek=True, PlayMethod="DirectPlay")
        if remote_id not in self._playing:
            self._playing[remote_id] = session
            await self.client.post("/Sessions/Playing", body, "reporting playback start")
            return
        body["EventName"] = "pause" if state == "paused" else "timeupdate"
        await self.client.post("/Sessions/Playing/Progress", body, "reporting playback progress")

    async def set_played(self, remote_id: str, item_type: str, played: bool) -> None:
        """Mark played/unplayed for the signed-in user."""
        await self.client.set_played(remote_id, self._user_id(), played)

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self.client.aclose()
