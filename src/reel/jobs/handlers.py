"""What each job type does. Handlers call the same services as the CLI and the server
(`SyncEngine` + `PostSync`, `Identifier`, `WriteBack`, `ChildrenSync`), so a sync run by
a worker leaves exactly what `reel sync` would.

A handler returns a small JSON result or raises: `RetryableJobError` when another
attempt later may succeed (server offline), `PermanentJobError` when it cannot (source
removed, credentials refused). Anything else counts as retryable, except a `ReelError`,
which means the job asked for something impossible.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from reel.catalog.db import Database
from reel.catalog.models import Base
from reel.config import Settings
from reel.events.bus import EventBus
from reel.jobs.records import Job, JobCancelled, PermanentJobError, RetryableJobError
from reel.playback.writeback import WriteBack
from reel.services.sources import SourceService
from reel.services.syncing import PostSync
from reel.sync.children import ChildrenSync
from reel.sync.engine import SyncEngine
from reel.sync.outcome import SyncResult

log = logging.getLogger(__name__)

SOURCES = Base.metadata.tables["sources"]

# (source name, full) -> the result, or None when the sync was cancelled elsewhere.
SyncRunner = Callable[[str, bool], Awaitable[SyncResult | None]]


@dataclass
class JobServices:
    """Everything handlers need, built once per worker process."""

    db: Database
    settings: Settings
    engine: SyncEngine
    post: PostSync
    writeback: WriteBack
    # The server swaps in its SyncManager so the UI shows scheduled syncs' progress.
    run_sync: SyncRunner | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        db: Database,
        settings: Settings,
        *,
        sources: SourceService | None = None,
        bus: EventBus | None = None,
    ) -> JobServices:
        service = sources or SourceService.open(db, settings)
        engine = SyncEngine(service, bus or EventBus(), user=settings.user)
        writeback = WriteBack(service)
        return cls(db, settings, engine, PostSync(engine, settings, writeback), writeback)

    async def sync(self, name: str, full: bool) -> SyncResult | None:
        if self.run_sync is not None:
            return await self.run_sync(name, full)
        result = await self.engine.sync(name, full=full)
        await self.post.run(result)
        return result


Handler = Callable[[JobServices, Job], Awaitable[dict[str, Any] | None]]


def _source(db: Database, payload: Mapping[str, Any]) -> Any:
    """The source a payload names, by id when it has one (names may be reused)."""
    query = select(SOURCES.c.id, SOURCES.c.name, SOURCES.c.kind, SOURCES.c.enabled)
    if payload.get("source_id") is not None:
        query = query.where(SOURCES.c.id == int(payload["source_id"]))
    elif payload.get("source"):
        query = query.where(SOURCES.c.name == str(payload["source"]))
    else:
        raise PermanentJobError("the job names no source")
    with db.engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        raise PermanentJobError(
            f"source {payload.get('source') or payload.get('source_id')} was removed"
        )
    return row


def _names_source(job: Job) -> bool:
    return job.payload.get("source_id") is not None or bool(job.payload.get("source"))


async def run_sync(svc: JobServices, job: Job) -> dict[str, Any] | None:
    """Sync one source, then its follow-up (children, identification, write-back)."""
    row = _source(svc.db, job.payload)
    if not row.enabled:
        return {"source": row.name, "skipped": "disabled"}
    result = await svc.sync(row.name, bool(job.payload.get("full", False)))
    if result is None:
        raise JobCancelled(f"sync of {row.name} was cancelled")
    if result.status == "cancelled":
        raise JobCancelled(result.error or "cancelled")
    if not result.ok:
        message = result.error or "sync failed"
        if result.source_status == "needs_sign_in":
            raise PermanentJobError(message)  # retrying cannot fix refused credentials
        raise RetryableJobError(message)
    return result.to_json()


async def run_identify(svc: JobServices, job: Job) -> dict[str, Any] | None:
    """Identify a local source's items on TMDB (or every local source without one)."""
    from reel.metadata.identify import Identifier

    name = _source(svc.db, job.payload).name if _names_source(job) else None
    identifier = Identifier(svc.db, svc.settings)
    try:
        reports = await identifier.run(name, refresh=bool(job.payload.get("refresh", False)))
    finally:
        await identifier.aclose()
    offline = [r for r in reports if r.offline]
    if offline:
        raise RetryableJobError(offline[0].error or "TMDB unreachable")
    return {"reports": [r.to_json() for r in reports]}


async def run_writeback(svc: JobServices, job: Job) -> dict[str, Any] | None:
    """Send queued watch state to its servers; a server still away means try later."""
    name = _source(svc.db, job.payload).name if _names_source(job) else None
    flushed = await svc.writeback.flush(name)
    if flushed.offline:
        raise RetryableJobError(
            f"watch state kept for later: {', '.join(sorted(set(flushed.offline)))} unreachable"
        )
    return {"written": flushed.written, "dropped": flushed.dropped}


async def run_children(svc: JobServices, job: Job) -> dict[str, Any] | None:
    """Refresh on-demand children: the given parents, or those whose stamps moved."""
    row = _source(svc.db, job.payload)
    children = ChildrenSync(svc.engine)
    item_ids = [int(i) for i in job.payload.get("item_ids") or []]
    if not item_ids:
        return {"source": row.name, "refreshed": await children.refresh_changed(row.name)}
    results = await children.refresh(row.name, item_ids)
    errors = {str(r.parent_id): r.error for r in results if r.error}
    if errors and len(errors) == len(results):
        raise RetryableJobError(
            f"no children of {row.name} could be fetched: {next(iter(errors.values()))}"
        )
    return {"source": row.name, "refreshed": len(results) - len(errors), "errors": errors}


HANDLERS: dict[str, Handler] = {
    "sync": run_sync,
    "identify": run_identify,
    "writeback": run_writeback,
    "children": run_children,
}
