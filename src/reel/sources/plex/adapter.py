"""The Plex source: one Plex Media Server reached through its best working connection.

Settings: `url` (the last connection that worked), `machine_identifier`, `connections`
(from plex.tv discovery), `client_id` (this Reel install's X-Plex-Client-Identifier),
optional `page_size` / `page_concurrency` / `id_page_size`, and `sweep_hours` /
`sweep_every`: how stale a deletion may get at worst (see freshness.py). Secrets: `token`.

When the remembered URL stops answering, every advertised connection is probed and the
best one (local, remote, relay) replaces it in `config.settings["url"]`; the source code
that stores sources persists settings after a sync or test, so the choice survives.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlencode

from reel.sources.base import (
    Capabilities,
    ListingContext,
    PlayState,
    SourceAdapter,
    SourceConfig,
    StreamMode,
    TestResult,
)
from reel.sources.errors import BadResponse, CannotConnect, InvalidAuth, SourceError
from reel.sources.http import RetryPolicy
from reel.sources.plex import listing
from reel.sources.plex.client import PlexClient
from reel.sources.plex.const import (
    ID_PAGE_SIZE,
    PAGE_CONCURRENCY,
    PAGE_SIZE,
    PROBE_TIMEOUT_S,
    PRODUCT,
)
from reel.sources.plex.freshness import SWEEP_EVERY, SWEEP_HOURS, Freshness
from reel.sources.plex.parse import ServerRoot, to_library
from reel.sources.plex.signin import (
    ChosenConnection,
    ConnectionInfo,
    ConnectionKind,
    probe_all,
)
from reel.sources.records import ListingPage

log = logging.getLogger(__name__)
T = TypeVar("T")


class PlexAdapter(SourceAdapter):
    """Plex Media Server: libraries, items, watch state, streams and write-back."""

    kind: ClassVar[str] = "plex"
    capabilities: ClassVar[Capabilities] = Capabilities(
        incremental=True, progress_write_back=True, streams=True, images=True
    )

    def __init__(self, config: SourceConfig, *, retry: RetryPolicy | None = None) -> None:
        super().__init__(config)
        settings = config.settings
        self.token = config.secrets.get("token", "")
        self.client_id = str(settings.get("client_id") or f"reel-{config.name}")
        self.retry = retry or RetryPolicy()
        self.connections = [ConnectionInfo.from_setting(c) for c in settings.get("connections", [])]
        self.options = listing.Options(
            page_size=int(settings.get("page_size", PAGE_SIZE)),
            concurrency=int(settings.get("page_concurrency", PAGE_CONCURRENCY)),
            id_page_size=int(settings.get("id_page_size", ID_PAGE_SIZE)),
            sweep_hours=float(settings.get("sweep_hours", SWEEP_HOURS)),
            sweep_every=int(settings.get("sweep_every", SWEEP_EVERY)),
        )
        self.chosen: ChosenConnection | None = None
        self._client: PlexClient | None = None

    @property
    def url(self) -> str:
        url = str(self.config.settings.get("url") or "")
        if not url and self.connections:
            url = self.connections[0].uri
        return url.rstrip("/")

    def _make_client(self) -> PlexClient:
        if self._client is None or self._client.base_url != self.url:
            if not self.token:
                raise InvalidAuth("no Plex token stored; sign in again")
            if not self.url:
                raise CannotConnect("no address known for this Plex server")
            self._client = PlexClient(self.url, self.token, self.client_id, retry=self.retry)
        return self._client

    async def _switch(self) -> bool:
        """Probe every advertised connection; move to the best that answers."""
        if not self.connections:
            return False
        good = await probe_all(
            self.connections,
            self.token,
            self.client_id,
            machine_identifier=self.config.settings.get("machine_identifier") or None,
            timeout=PROBE_TIMEOUT_S,
        )
        if not good:
            return False
        self.chosen = good[0]
        if self.chosen.uri != self.url:
            log.info(
                "source %s: switching to %s connection %s",
                self.config.name,
                self.chosen.kind,
                self.chosen.uri,
            )
            if self._client is not None:
                await self._client.aclose()
                self._client = None
            self.config.settings["url"] = self.chosen.uri
        return True

    async def _connect(self) -> PlexClient:
        """A client on a URL that answers now, falling back across connections."""
        client = self._make_client()
        if not self.connections:
            return client
        expected = self.config.settings.get("machine_identifier")
        try:
            started = time.perf_counter()
            identity = await client.identity(timeout=PROBE_TIMEOUT_S)
            latency = (time.perf_counter() - started) * 1000
            if not expected or identity.machine_identifier in ("", expected):
                kind: ConnectionKind = next(
                    (c.kind for c in self.connections if c.uri == self.url), "remote"
                )
                self.chosen = ChosenConnection(self.url, kind, latency)
                return client
            log.info("source %s: another server answers at %s", self.config.name, self.url)
        except (CannotConnect, BadResponse) as exc:
            log.info("source %s: %s; probing other connections", self.config.name, exc)
        if await self._switch():
            return self._make_client()
        return client  # nothing else answers: let the normal retries have their say

    async def _call(self, fn: Callable[[PlexClient], Awaitable[T]]) -> T:
        client = await self._connect()
        try:
            return await fn(client)
        except CannotConnect:
            if not await self._switch():
                raise
            return await fn(self._make_client())

    def _check_identity(self, root: ServerRoot) -> None:
        expected = self.config.settings.get("machine_identifier")
        if expected and root.machine_identifier and root.machine_identifier != expected:
            raise CannotConnect(f"{self.url} is a different Plex server than this source's")
        if root.machine_identifier and not expected:
            self.config.settings["machine_identifier"] = root.machine_identifier

    async def setup(self) -> SourceConfig:
        """Check the token once and pin the server's identity, so a different server that
        later answers at the same address is never mistaken for this one."""
        root = await self._call(lambda c: c.server_root())
        self._check_identity(root)
        self.config.settings.setdefault("client_id", self.client_id)
        return self.config

    async def test(self) -> TestResult:
        """Server name and version, the connection in use and its latency."""
        started = time.perf_counter()
        try:
            root = await self._call(lambda c: c.server_root())
            self._check_identity(root)
        except InvalidAuth as exc:
            return TestResult(reachable=True, authenticated=False, message=str(exc))
        except SourceError as exc:
            return TestResult(reachable=False, authenticated=False, message=str(exc))
        latency = self.chosen.latency_ms if self.chosen else (time.perf_counter() - started) * 1000
        kind = self.chosen.kind if self.chosen else None
        details: dict[str, Any] = {
            "server": root.friendly_name,
            "version": root.version,
            "machine_identifier": root.machine_identifier,
            "connection": self.url,
            "connection_kind": kind,
        }
        via = f" via {kind} connection" if kind else ""
        return TestResult(
            reachable=True,
            authenticated=True,
            message=f"{root.friendly_name} (Plex {root.version}){via} {self.url}",
            details=details,
            latency_ms=round(latency, 1),
        )

    async def listing(self, ctx: ListingContext) -> AsyncIterator[ListingPage]:
        client = await self._connect()
        root = await client.server_root()
        self._check_identity(root)
        sections = await client.sections()
        libraries = [lib for s in sections if (lib := to_library(s)) is not None]
        skipped = [s.title for s in sections if to_library(s) is None]
        if skipped:
            log.info("source %s: skipping libraries %s", self.config.name, skipped)
        kept = [s for s in sections if to_library(s) is not None]
        yield ListingPage(libraries=libraries)
        fresh = Freshness.load(ctx.state)
        if ctx.state.get("server") not in (None, root.machine_identifier):
            fresh = None  # a different server answers at this URL: trust nothing kept
        ctx.state["server"] = root.machine_identifier
        if ctx.full or ctx.since is None or fresh is None:
            pages = listing.full(client, kept, ctx, self.options)
        else:
            pages = listing.incremental(client, kept, ctx, self.options, fresh)
        async for page in pages:
            yield page

    def stream_url(
        self, remote_id: str, item_type: str, stream: dict[str, str], mode: StreamMode = "direct"
    ) -> str:
        """Direct play of the file, or Plex's universal HLS transcoder; both carry the token."""
        if item_type not in ("movie", "episode"):
            raise SourceError(f"a Plex {item_type} is not playable")
        if mode == "direct":
            part_key = stream.get("part_key")
            if not part_key:
                raise BadResponse(f"item {remote_id} has no media part to play")
            return f"{self.url}{part_key}?{urlencode({'X-Plex-Token': self.token})}"
        params = {
            "path": f"/library/metadata/{remote_id}",
            "mediaIndex": 0,
            "partIndex": 0,
            "protocol": "hls",
            "fastSeek": 1,
            "copyts": 1,
            "offset": 0,
            "directPlay": 0,
            "directStream": 1,
            "X-Plex-Platform": "Chrome",
            "X-Plex-Product": PRODUCT,
            "X-Plex-Client-Identifier": self.client_id,
            "X-Plex-Token": self.token,
        }
        return f"{self.url}/video/:/transcode/universal/start.m3u8?{urlencode(params)}"

    def image_request(self, ref: str) -> tuple[str, dict[str, str]]:
        """Artwork refs are server paths; the token goes in a header, not the URL."""
        if ref.startswith(("http://", "https://")):
            return ref, {}
        return f"{self.url}{ref}", {"X-Plex-Token": self.token}

    async def set_played(self, remote_id: str, item_type: str, played: bool) -> None:
        await self._call(lambda c: c.scrobble(remote_id, played))

    async def report_progress(
        self,
        remote_id: str,
        item_type: str,
        position_ms: int,
        duration_ms: int | None,
        state: PlayState,
    ) -> None:
        await self._call(lambda c: c.timeline(remote_id, state, position_ms, duration_ms))

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
