"""The FastAPI application: API under /api, OpenAPI at /openapi.json, events at /ws, and
the UI's static files at /.

`create_app(settings, db=None)` builds every service once; tests pass their own database
(and may pass a cheap password hasher). Startup only kicks the write-back of watch state
queued by an earlier run; nothing else needs the lifespan, so the app also works under
transports that skip it (httpx's ASGITransport).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from argon2 import PasswordHasher
from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

import reel
from reel.catalog.db import Database
from reel.config import Settings
from reel.events.bus import EventBus
from reel.events.types import SourceStatusChanged, SyncCompleted
from reel.jobs.embedded import EmbeddedJobs
from reel.playback.state import PlaybackService
from reel.playback.writeback import WriteBack, WriteBackRunner
from reel.services.auth import AuthService
from reel.services.local_watch import watch_local_sources
from reel.services.sources import SourceService
from reel.services.syncing import PostSync
from reel.services.users import UserService
from reel.sync.engine import SyncEngine
from reel.web import errors, local_media
from reel.web.adapters import AdapterPool
from reel.web.children import ChildrenFetcher
from reel.web.extras import VodInfoCache
from reel.web.images import ImageCache
from reel.web.proxy import StreamProxy
from reel.web.routes import auth, catalog, guide, media, playback, sources, sync, users
from reel.web.routes import settings as settings_routes
from reel.web.services import AppServices
from reel.web.syncs import SyncManager
from reel.web.threads import thread_limit
from reel.web.writer import Writer
from reel.web.ws import websocket_endpoint

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).with_name("static")
DEFAULT_IMAGE_BUDGET = 512 * 1024 * 1024
WORKER_THREADS = int(os.environ.get("REEL_WEB_THREADS", "8"))


def build_services(
    config: Settings,
    db: Database | None = None,
    *,
    bus: EventBus | None = None,
    hasher: PasswordHasher | None = None,
) -> AppServices:
    owns_db = db is None
    database = db or Database(config.resolved_database_url)
    event_bus = bus or EventBus()
    source_service = SourceService.open(database, config)
    auth_service = AuthService(database, hasher)
    writeback = WriteBack(source_service)
    runner = WriteBackRunner(writeback)
    engine = SyncEngine(source_service, event_bus, user=config.user)
    svc = AppServices(
        settings=config,
        db=database,
        bus=event_bus,
        auth=auth_service,
        users=UserService(auth_service),
        sources=source_service,
        playback=PlaybackService(database, event_bus, sync_user=config.user),
        writeback=writeback,
        writeback_runner=runner,
        adapters=AdapterPool(source_service),
        syncs=SyncManager(engine, PostSync(engine, config, writeback)),
        # Its own subtree: LRU eviction must never delete a blob the metadata asset store
        # (same `ab/cd/<sha256>.<ext>` layout in `assets/`) counts as used.
        images=ImageCache(config.assets_dir / "cache", DEFAULT_IMAGE_BUDGET),
        proxy=StreamProxy(b""),
        writer=Writer(database.dialect),
        children=ChildrenFetcher(),
        vod_info=VodInfoCache(),
        owns_db=owns_db,
    )
    svc.children.sync = svc.syncs.post.children
    svc.proxy.key = svc.signing_key
    return svc


async def _kick_on_return(svc: AppServices) -> None:
    """A source back online (or freshly synced) gets its queued watch state."""
    with svc.bus.subscribe(SyncCompleted, SourceStatusChanged) as sub:
        async for event in sub:
            if isinstance(event, SyncCompleted) or (
                isinstance(event, SourceStatusChanged) and event.status == "ok"
            ):
                svc.writeback_runner.kick()


def create_app(
    settings: Settings,
    db: Database | None = None,
    *,
    bus: EventBus | None = None,
    hasher: PasswordHasher | None = None,
) -> FastAPI:
    """The Reel web application over `db` (opened from `settings` when not given)."""
    svc = build_services(settings, db, bus=bus, hasher=hasher)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Database calls run on worker threads, bounded by the connection pool (see
        # web/threads.py; measured with bench/web.py).
        limiter = anyio.to_thread.current_default_thread_limiter()
        pool_size = getattr(svc.db.engine.pool, "size", lambda: None)()
        limiter.total_tokens = thread_limit(pool_size, WORKER_THREADS)
        with contextlib.suppress(Exception):
            stored = await asyncio.to_thread(settings_routes.load_settings, svc)
            settings_routes.apply_settings(svc, stored)
        listener = asyncio.create_task(_kick_on_return(svc))
        stop_watching = asyncio.Event()
        watcher = asyncio.create_task(
            watch_local_sources(svc.db, svc.settings, stop_watching, engine=svc.syncs.engine)
        )
        svc.writeback_runner.kick()
        jobs = EmbeddedJobs.for_server(svc)  # scheduler + worker; see reel.jobs.embedded
        jobs.start()
        try:
            yield
        finally:
            stop_watching.set()
            await jobs.stop()
            listener.cancel()
            for task in (listener, watcher):
                with contextlib.suppress(BaseException):
                    await asyncio.wait_for(task, timeout=5)
            await local_media.close_transcodes(_app)
            await close_services(svc)

    app = FastAPI(
        title="Reel",
        version=getattr(reel, "__version__", "0"),
        description="Offline-first media catalog: JSON API. See docs/api.md.",
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.reel = svc
    errors.install(app)
    # Routes are added flat (each router carries the /api prefix) so `app.routes` lists
    # every APIRoute — the auth test walks them all.
    routers = [auth.public, auth.router]
    routers += [m.router for m in (users, sources, sync, catalog, playback, guide, media)]
    routers.append(settings_routes.router)
    for router in routers:
        app.router.routes.extend(router.routes)
    app.add_api_websocket_route("/ws", websocket_endpoint)
    app.mount("/", StaticFiles(directory=STATIC_DIR, html=True, check_dir=False), name="ui")
    return app


async def close_services(svc: AppServices) -> None:
    await svc.syncs.close()
    await svc.writeback_runner.close()
    await svc.adapters.close()
    await svc.proxy.close()
    await svc.children.close()
    svc.writer.close()
    if svc.owns_db:
        svc.db.dispose()
