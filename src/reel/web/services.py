"""Everything a request handler needs, built once per app and kept on `app.state.reel`."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi import Request

from reel.catalog.db import Database
from reel.config import Settings
from reel.events.bus import EventBus
from reel.playback.state import PlaybackService
from reel.playback.writeback import WriteBack, WriteBackRunner
from reel.services.auth import AuthService
from reel.services.sources import SourceService
from reel.services.users import UserService

if TYPE_CHECKING:
    from reel.web.adapters import AdapterPool
    from reel.web.children import ChildrenFetcher
    from reel.web.extras import VodInfoCache
    from reel.web.images import ImageCache
    from reel.web.proxy import StreamProxy
    from reel.web.syncs import SyncManager
    from reel.web.writer import Writer


@dataclass
class AppServices:
    settings: Settings
    db: Database
    bus: EventBus
    auth: AuthService
    users: UserService
    sources: SourceService
    playback: PlaybackService
    writeback: WriteBack
    writeback_runner: WriteBackRunner
    adapters: AdapterPool
    syncs: SyncManager
    images: ImageCache
    proxy: StreamProxy
    writer: Writer
    children: ChildrenFetcher
    vod_info: VodInfoCache
    owns_db: bool = False
    # Signs the segment references of rewritten HLS playlists (see proxy.py).
    signing_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))


async def services(request: Request) -> AppServices:
    """The app's services (a FastAPI dependency). Async on purpose: FastAPI runs a plain
    `def` dependency on a worker thread, one thread hop per request for a dict lookup."""
    svc: AppServices = request.app.state.reel
    return svc
