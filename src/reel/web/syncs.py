"""Syncs run as asyncio tasks inside the server process, one source at a time.

Each started source gets its own task (so one can be cancelled alone), and a lock makes
them take turns: SQLite has one writer, and a sync holds it for its whole transaction.
Progress is kept per source for `GET /api/sync`; the events themselves go out on the bus.
After a successful sync, queued watch-state changes for that source are written back —
the server has just proven it is reachable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from reel.catalog.models import Base
from reel.catalog.types import utcnow
from reel.errors import Conflict
from reel.services.syncing import PostSync
from reel.sync.engine import SyncEngine
from reel.sync.outcome import SyncResult

log = logging.getLogger(__name__)

SYNC_RUNS = Base.metadata.tables["sync_runs"]
SOURCES = Base.metadata.tables["sources"]


@dataclass
class Running:
    source: str
    full: bool
    started_at: datetime = field(default_factory=utcnow)
    phase: str = "queued"
    done: int = 0
    total: int | None = None
    run_id: int | None = None
    task: asyncio.Task[SyncResult | None] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "run_id": self.run_id,
            "phase": self.phase,
            "done": self.done,
            "total": self.total,
            "full": self.full,
            "started_at": self.started_at,
        }


class SyncManager:
    """Starts, tracks and cancels syncs of one server process."""

    def __init__(self, engine: SyncEngine, post: PostSync) -> None:
        self.engine = engine
        self.post = post
        self.running: dict[str, Running] = {}
        self._turn = asyncio.Lock()
        self.results: list[SyncResult] = []

    def start(self, names: list[str] | None, *, full: bool = False) -> list[str]:
        """Queue syncs of `names` (every enabled source when None); returns the names."""
        targets = list(dict.fromkeys(names)) if names else self.engine.sources.names()
        for name in targets:
            self.engine.sources.row(name)  # unknown names fail before anything starts
        busy = [n for n in targets if n in self.running]
        if busy:
            raise Conflict(f"already syncing: {', '.join(busy)}")
        for name in targets:
            entry = Running(source=name, full=full)
            self.running[name] = entry
            entry.task = asyncio.get_running_loop().create_task(
                self._run(entry), name=f"sync {name}"
            )
        return targets

    async def _run(self, entry: Running) -> SyncResult | None:
        try:
            async with self._turn:
                entry.phase = "starting"
                result = await self.engine.sync(
                    entry.source, full=entry.full, progress=self._progress
                )
            self.results.append(result)
            await self.post.run(result)
            return result
        except asyncio.CancelledError:
            log.info("sync of %s cancelled", entry.source)
            return None
        except Exception:
            log.exception("sync task for %s failed", entry.source)
            return None
        finally:
            self.running.pop(entry.source, None)

    def _progress(self, source: str, phase: str, done: int, total: int | None) -> None:
        entry = self.running.get(source)
        if entry is not None:
            entry.phase, entry.done, entry.total = phase, done, total

    def progress(self) -> list[dict[str, Any]]:
        return [r.to_json() for r in self.running.values()]

    async def cancel(self, names: list[str] | None = None) -> list[str]:
        """Cancel the named syncs (all when None); waits until each rolled back."""
        targets = [n for n in (names or list(self.running)) if n in self.running]
        tasks = []
        for name in targets:
            task = self.running[name].task
            if task is not None and not task.done():
                task.cancel()
                tasks.append(task)
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        return targets

    async def wait(self) -> None:
        """Wait for every queued sync (tests, shutdown)."""
        while self.running:
            tasks = [r.task for r in self.running.values() if r.task is not None]
            await asyncio.gather(*tasks, return_exceptions=True)

    async def close(self) -> None:
        await self.cancel()


def history(engine: Any, source: str | None, limit: int) -> list[dict[str, Any]]:
    """Recent runs, newest first, with their counts and errors."""
    stmt = (
        select(SYNC_RUNS, SOURCES.c.name.label("source"))
        .join(SOURCES, SOURCES.c.id == SYNC_RUNS.c.source_id)
        .order_by(SYNC_RUNS.c.started_at.desc(), SYNC_RUNS.c.id.desc())
        .limit(limit)
    )
    if source is not None:
        stmt = stmt.where(SOURCES.c.name == source)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return [
        {
            "id": r.id,
            "source": r.source,
            "kind": r.kind,
            "status": r.status,
            "started_at": r.started_at,
            "finished_at": r.finished_at,
            "counts": r.counts or {},
            "error": r.error,
        }
        for r in rows
    ]
