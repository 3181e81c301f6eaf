"""Watch local sources' folders while `reel serve` or `reel worker` runs.

Changes to videos and NFOs (watchfiles, debounced) trigger a rescan of the affected
source within seconds, followed by identification. Roots are also checked on a timer:
one that vanished (a NAS dropped off) triggers a sync, which fails with CannotConnect,
so the source is marked offline and nothing is deleted; when it returns, the next check
rescans it. The set of sources is re-read on the same timer, so adding or removing a
local source needs no restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from watchfiles import Change, awatch

from reel.catalog.db import Database
from reel.catalog.models import Base
from reel.config import Settings
from reel.sources.local.scan import VIDEO_EXTENSIONS

log = logging.getLogger(__name__)

SOURCES = Base.metadata.tables["sources"]
DEBOUNCE_MS = 1500
CHECK_EVERY_S = 30.0

Rescan = Callable[[str], Awaitable[None]]


def _interesting(change: Change, path: str) -> bool:
    name = os.path.basename(path)
    if name.startswith("."):
        return False  # hidden files and our own temporary files
    ext = os.path.splitext(name)[1].lower()
    # No extension: usually a folder, whose rename or move brings no per-file events.
    return ext in VIDEO_EXTENSIONS or ext in (".nfo", "")


def local_roots(db: Database) -> dict[str, list[str]]:
    """Enabled local sources and their roots."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(SOURCES.c.name, SOURCES.c.settings).where(
                SOURCES.c.kind == "local", SOURCES.c.enabled.is_(True)
            )
        ).all()
    return {r.name: [str(p) for p in (r.settings or {}).get("paths") or []] for r in rows}


def owner(roots: dict[str, list[str]], path: str) -> str | None:
    """The source whose root holds `path`."""
    for name, paths in roots.items():
        for root in paths:
            if path == root or path.startswith(root.rstrip("/") + "/"):
                return name
    return None


async def _default_rescan(db: Database, settings: Settings, engine: Any = None) -> Rescan:
    """Sync with the caller's engine (so its bus hears about it), then identify."""
    from reel.events.bus import EventBus
    from reel.metadata.hooks import after_sync
    from reel.services.sources import SourceService
    from reel.sync.engine import SyncEngine

    engine = engine or SyncEngine(SourceService.open(db, settings), EventBus())

    async def rescan(name: str) -> None:
        result = await engine.sync(name)
        if result.ok:
            await after_sync(db, settings, name)
        else:
            log.info("rescan of %s: %s", name, result.error)

    return rescan


async def watch_local_sources(
    db: Database,
    settings: Settings,
    stop_event: asyncio.Event,
    *,
    rescan: Rescan | None = None,
    engine: Any = None,
    debounce_ms: int = DEBOUNCE_MS,
    check_every_s: float = CHECK_EVERY_S,
) -> None:
    """Run until `stop_event` is set; rescans are serialised (one writer at a time).

    `engine` is the server's `SyncEngine` (its event bus then reports the rescans);
    `rescan` replaces the whole sync-and-identify step (tests).
    """
    rescan = rescan or await _default_rescan(db, settings, engine)
    lock = asyncio.Lock()

    async def run(name: str) -> None:
        async with lock:
            try:
                await rescan(name)
            except Exception:
                log.exception("rescan of local source %s failed", name)

    online: dict[str, bool] = {}

    async def check() -> tuple[dict[str, list[str]], list[str]]:
        """Re-read sources; rescan those whose roots vanished or came back."""
        roots = local_roots(db)
        present = {n: [p for p in ps if Path(p).is_dir()] for n, ps in roots.items()}
        for name, paths in roots.items():
            ok = len(present[name]) == len(paths)
            if online.get(name, True) != ok:
                log.info("local source %s: roots %s", name, "back" if ok else "missing")
                await run(name)  # missing: marks it offline; back: rescans it
            online[name] = ok
        return roots, sorted({p for ps in present.values() for p in ps})

    while not stop_event.is_set():
        roots, watched = await check()
        if not watched:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop_event.wait(), check_every_s)
            continue
        try:
            # One watcher for as long as the roots stay the same: restarting it would
            # lose events. Timeouts yield an empty set, which is when roots are checked.
            async for changes in awatch(
                *watched,
                stop_event=stop_event,
                debounce=debounce_ms,
                step=50,
                watch_filter=_interesting,
                rust_timeout=int(check_every_s * 1000),
                yield_on_timeout=True,
            ):
                touched = {owner(roots, path) for _, path in changes}
                for name in sorted(n for n in touched if n):
                    log.info("local source %s changed on disk; rescanning", name)
                    await run(name)
                new_roots, new_watched = await check()
                if (new_roots, new_watched) != (roots, watched):
                    break
        except FileNotFoundError:
            log.info("a watched folder disappeared; checking roots")
