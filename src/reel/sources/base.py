"""The interface every source adapter implements.

An adapter talks to one server and yields typed records; it never touches the catalog.
The engine gives it a `ListingContext` carrying the previous sync's bookkeeping and collects
the item types whose listing was complete (only those are swept for deletions).
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal

from reel.sources.records import ListingPage


@dataclass(frozen=True)
class Capabilities:
    """What an adapter can do beyond a full listing."""

    incremental: bool = False
    children_on_demand: bool = False
    progress_write_back: bool = False
    streams: bool = True
    images: bool = True
    guide: bool = False


@dataclass
class SourceConfig:
    """A source as stored: non-secret settings and decrypted secrets (kept in memory only)."""

    name: str
    kind: str
    settings: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)


@dataclass
class TestResult:
    """What `source test` reports: reachability, auth and whatever account facts apply."""

    reachable: bool
    authenticated: bool
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    latency_ms: float | None = None


StreamMode = Literal["direct", "hls"]
PlayState = Literal["playing", "paused", "stopped"]
ProgressCallback = Callable[[str, int, int | None], None]


@dataclass
class ListingContext:
    """Per-sync state handed to an adapter.

    `since` is the start time of the last successful sync (None on a full sync);
    `state` is the adapter's own bookkeeping from that sync (e.g. series `last_modified`),
    which it may update in place and the engine saves on success only.
    The adapter adds item types to `complete_types` once their listing finished.
    `known_hashes` maps (type, remote_id) to the content hash the catalog stored for the
    item; an adapter that sets `ItemRecord.source_hash` may name an entry whose hash is
    unchanged in `ListingPage.present_ids` instead of yielding its record.
    """

    full: bool = True
    since: datetime | None = None
    state: dict[str, Any] = field(default_factory=dict)
    complete_types: set[str] = field(default_factory=set)
    prune_programmes_before: datetime | None = None
    progress: ProgressCallback | None = None
    known_hashes: Mapping[tuple[str, str], str] = field(default_factory=dict)

    def report(self, phase: str, done: int, total: int | None = None) -> None:
        """Forward progress to whoever listens; adapters call this per page."""
        if self.progress is not None:
            self.progress(phase, done, total)


class SourceAdapter(abc.ABC):
    """One kind of server. Subclasses set `kind` and `capabilities`."""

    kind: ClassVar[str]
    capabilities: ClassVar[Capabilities] = Capabilities()

    def __init__(self, config: SourceConfig) -> None:
        self.config = config

    @abc.abstractmethod
    async def test(self) -> TestResult:
        """Check reachability and credentials without listing the catalog."""

    @abc.abstractmethod
    def listing(self, ctx: ListingContext) -> AsyncIterator[ListingPage]:
        """Yield the catalog in pages; mark complete types in `ctx` when done."""

    async def setup(self) -> SourceConfig:
        """Run once when the source is added: sign in, swap a password for a token, etc.

        Returns the config to store; secrets not needed later (a password once a token
        exists) are dropped here.
        """
        return self.config

    def children(self, remote_id: str, ctx: ListingContext) -> AsyncIterator[ListingPage]:
        """Yield the children of one item fetched on demand (e.g. an Xtream series)."""
        raise NotImplementedError(f"{self.kind} sources list children with the catalog")

    def stream_url(
        self, remote_id: str, item_type: str, stream: dict[str, str], mode: StreamMode = "direct"
    ) -> str:
        """A playable URL, with credentials only where the server needs them in the URL."""
        raise NotImplementedError(f"{self.kind} sources do not provide streams")

    def stream_request(
        self, remote_id: str, item_type: str, stream: dict[str, str], mode: StreamMode = "direct"
    ) -> tuple[str, dict[str, str]]:
        """The URL and headers that fetch a stream server-side (the web app's proxy).

        Servers that want their token in a header (Jellyfin 12) override this so the
        token never reaches the browser.
        """
        return self.stream_url(remote_id, item_type, stream, mode), {}

    def image_request(self, ref: str) -> tuple[str, dict[str, str]]:
        """The URL and headers that fetch an artwork ref this adapter put in `artwork`."""
        return ref, {}

    async def set_played(self, remote_id: str, item_type: str, played: bool) -> None:
        """Write watched/unwatched back to the server (sources with progress write-back)."""
        raise NotImplementedError(f"{self.kind} sources keep watch state locally")

    async def report_progress(
        self,
        remote_id: str,
        item_type: str,
        position_ms: int,
        duration_ms: int | None,
        state: PlayState,
    ) -> None:
        """Write a playback position back to the server (sources with progress write-back)."""
        raise NotImplementedError(f"{self.kind} sources keep watch state locally")

    async def aclose(self) -> None:
        """Release network resources."""
        return None
