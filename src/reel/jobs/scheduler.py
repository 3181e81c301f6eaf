"""Periodic syncs: turn each source's `auto_sync` / `sync_interval_s` into sync jobs.

A source is due one interval after its last attempt — the later of its last successful
sync and the start of its latest sync run, so a failing source is not retried in a tight
loop (the job's own retries with backoff cover short outages) and a sync started by hand
pushes the next automatic one back. A source that was never synced gets its first sync a
minute after it was added, unless someone syncs it sooner (the UI does, right away).

Every server and worker may run a scheduler: a source with a sync job already queued or
running is skipped, and the queue's dedupe key (`sync:<source id>`) merges the enqueues
of two schedulers that raced, so a source never has two pending syncs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from reel.catalog.models import Base
from reel.catalog.types import utcnow
from reel.jobs.queue import JOBS, JobQueue
from reel.jobs.records import ACTIVE

log = logging.getLogger(__name__)

SOURCES = Base.metadata.tables["sources"]
SYNC_RUNS = Base.metadata.tables["sync_runs"]

FIRST_SYNC_DELAY_S = 60.0
CHECK_EVERY_S = 30.0
SCHEDULED_PRIORITY = 0
CHANGED_PRIORITY = 10  # a folder changed on disk: a person is probably waiting for it
SYNC_MAX_ATTEMPTS = 3


def sync_key(source_id: int) -> str:
    return f"sync:{source_id}"


def enqueue_sync(
    queue: JobQueue,
    source_id: int,
    name: str,
    *,
    full: bool = False,
    priority: int = SCHEDULED_PRIORITY,
    now: datetime | None = None,
) -> int:
    """Queue a sync of one source (merged into one already queued)."""
    return queue.enqueue(
        "sync",
        {"source_id": source_id, "source": name, "full": full},
        priority=priority,
        dedupe_key=sync_key(source_id),
        max_attempts=SYNC_MAX_ATTEMPTS,
        now=now,
    )


@dataclass(frozen=True)
class Due:
    source_id: int
    name: str
    due_at: datetime


class Scheduler:
    """Finds due sources and queues their syncs; `on_enqueue` (called on the event loop
    by `run`) wakes a local worker."""

    def __init__(
        self,
        queue: JobQueue,
        *,
        first_sync_delay_s: float = FIRST_SYNC_DELAY_S,
        on_enqueue: Callable[[], None] | None = None,
    ) -> None:
        self.queue = queue
        self.db = queue.db
        self.first_sync_delay = timedelta(seconds=first_sync_delay_s)
        self.on_enqueue = on_enqueue

    def schedule(self, now: datetime | None = None) -> list[Due]:
        """Every source with auto-sync on and when its next sync is due."""
        last_run = (
            select(SYNC_RUNS.c.source_id, func.max(SYNC_RUNS.c.started_at).label("started_at"))
            .group_by(SYNC_RUNS.c.source_id)
            .subquery()
        )
        query = (
            select(
                SOURCES.c.id,
                SOURCES.c.name,
                SOURCES.c.sync_interval_s,
                SOURCES.c.last_sync_at,
                SOURCES.c.created_at,
                last_run.c.started_at,
            )
            .outerjoin(last_run, last_run.c.source_id == SOURCES.c.id)
            .where(SOURCES.c.enabled.is_(True), SOURCES.c.auto_sync.is_(True))
            .order_by(SOURCES.c.id)
        )
        with self.db.engine.connect() as conn:
            rows = conn.execute(query).all()
        out: list[Due] = []
        for r in rows:
            attempts = [t for t in (r.last_sync_at, r.started_at) if t is not None]
            if attempts:
                due_at = max(attempts) + timedelta(seconds=max(60, int(r.sync_interval_s)))
            else:
                due_at = (r.created_at or now or utcnow()) + self.first_sync_delay
            out.append(Due(int(r.id), str(r.name), due_at))
        return out

    def _active_keys(self) -> set[str]:
        with self.db.engine.connect() as conn:
            return set(
                conn.execute(
                    select(JOBS.c.dedupe_key).where(
                        JOBS.c.status.in_(ACTIVE), JOBS.c.dedupe_key.like("sync:%")
                    )
                ).scalars()
            )

    def tick(self, now: datetime | None = None) -> list[int]:
        """Queue the syncs that are due now; returns the new jobs' ids."""
        now = now or utcnow()
        due = [d for d in self.schedule(now) if d.due_at <= now]
        if not due:
            return []
        active = self._active_keys()
        queued: list[int] = []
        for item in due:
            if sync_key(item.source_id) in active:
                continue
            queued.append(enqueue_sync(self.queue, item.source_id, item.name, now=now))
            log.info("scheduled a sync of %s (due %s)", item.name, item.due_at.isoformat())
        return queued

    async def run(self, stop: asyncio.Event, *, every_s: float = CHECK_EVERY_S) -> None:
        """Tick until `stop` is set; a database that is busy just means the next tick."""
        while not stop.is_set():
            try:
                if await asyncio.to_thread(self.tick) and self.on_enqueue is not None:
                    self.on_enqueue()  # here, on the loop: it may touch asyncio objects
            except Exception as exc:
                log.warning("scheduler tick failed: %s", exc)
                log.debug("scheduler tick failed", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every_s)
