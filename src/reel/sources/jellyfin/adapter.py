"""Jellyfin as a Reel source: sign-in, full and incremental listing, write-back, streams.

Settings: `url`, `device_id`, `user_id`, optional `page_size` / `concurrency` /
`id_page_size`, and `sweep_hours` / `sweep_every`: how stale a deletion or a watch-state
change may get at worst (see freshness.py). Secrets: `token`.

Incremental syncs cannot rely on `MinDateLastSaved` alone: watch state changed on another
device does not bump `DateLastSaved` (nor does `MinDateLastSavedForUser` help on 10.9+),
and deletions leave nothing to filter on. listing.py pairs the changed listing with counts,
recent plays and a periodic full sweep, so an unchanged library costs a handful of requests.
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
    PRESENCE_PAGE_SIZE,
    SINCE_OVERLAP_S,
    SKIPPED_COLLECTIONS,
    TICKS_PER_MS,
)
from reel.sources.jellyfin.freshness import SWEEP_EVERY, SWEEP_HOURS, Freshness
from reel.sources.jellyfin.listing import Library, Lister, Options, full, incremental
from reel.sources.jellyfin.parse import library_kind
from reel.sources.records import LibraryRecord, ListingPage

log = logging.getLogger(__name__)


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
        self.options = Options(
            page_size=self.page_size,
            concurrency=self.concurrency,
            id_page_size=int(settings.get("id_page_size", max(self.page_size, PRESENCE_PAGE_SIZE))),
            sweep_hours=float(settings.get("sweep_hours", SWEEP_HOURS)),
            sweep_every=int(settings.get("sweep_every", SWEEP_EVERY)),
        )
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
        """Libraries, then items kind by kind (parents first) with watch state."""
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
        lister = Lister(self.client, user_id, ctx, self.options)
        since = self._since(ctx)
        fresh = Freshness.load(ctx.state, user_id)
        if since is None or fresh is None:
            pages = full(lister, libraries)
        else:
            pages = incremental(lister, libraries, since, fresh)
        async for page in pages:
            yield page
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
