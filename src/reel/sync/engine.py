"""Run one source's sync as one unit of work.

The adapter's listing is consumed as an async iterator while the previous page is being
written on the unit's thread (a small bounded queue between them), so fetching, decoding
and writing overlap. Everything — items, taxonomy, guide, watch state, sweep, the
source's new status and bookkeeping — commits together or not at all. The `sync_runs`
row and the failure status are written in transactions of their own so they survive a
rollback. Change events are published after the commit: before it, listeners that
refetch would not see the rows, and after a rollback the events would be untrue.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
import weakref
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import Connection, select, update
from sqlalchemy.orm import Session

from reel.catalog.models import Base
from reel.catalog.search import invalidate_vocabulary
from reel.catalog.types import utcnow
from reel.catalog.users import resolve_user
from reel.events.bus import EventBus
from reel.events.types import (
    Event,
    ItemsChanged,
    SourceStatusChanged,
    SyncCompleted,
    SyncFailed,
    SyncProgress,
    SyncStarted,
    WatchStateChanged,
)
from reel.services.sources import SourceRow, SourceService
from reel.sources.base import ListingContext, SourceAdapter
from reel.sources.records import ListingPage
from reel.sync import runs
from reel.sync.changes import ChunkChanges
from reel.sync.gctune import relaxed_gc
from reel.sync.outcome import SyncResult, classify
from reel.sync.unit import UnitOfWork, when_unlocked
from reel.sync.writer import ITEMS, CatalogWriter

log = logging.getLogger(__name__)
R = TypeVar("R")

SOURCES = Base.metadata.tables["sources"]
PROGRAMME_KEEP = timedelta(days=1)

# (source name, phase, done, total): what a progress bar needs.
ProgressFn = Callable[[str, str, int, int | None], None]


@dataclass
class _Failed:
    exc: BaseException


_DONE = object()


class SyncEngine:
    """Syncs sources of one catalog; publishes what happens on `bus`."""

    def __init__(
        self,
        sources: SourceService,
        bus: EventBus | None = None,
        *,
        chunk_size: int = 2000,
        queue_pages: int = 2,
        user: str | None = None,
    ) -> None:
        self.sources = sources
        self.db = sources.db
        self.bus = bus or EventBus()
        self.chunk_size = chunk_size
        self.queue_pages = queue_pages
        self.user = user
        # One lock per event loop (see `sync`); an engine may outlive a loop.
        self._turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    # -- many sources --------------------------------------------------------------------

    async def sync_many(
        self,
        names: Sequence[str] | None = None,
        *,
        full: bool = False,
        progress: ProgressFn | None = None,
        results: list[SyncResult] | None = None,
    ) -> list[SyncResult]:
        """Sync `names` (all enabled sources when None) one after another.

        A failing source does not stop the others; a cancel stops all of them after the
        current one rolled back. `results` fills as sources finish, so a caller that is
        itself interrupted still has the summary so far.
        """
        out = results if results is not None else []
        targets = list(names) if names else self.sources.names()
        for name in targets:
            self.sources.row(name)  # unknown names fail before anything runs
        for name in targets:
            out.append(await self.sync(name, full=full, progress=progress, _results=out))
        return out

    # -- one source ------------------------------------------------------------------------

    async def sync(
        self,
        name: str,
        *,
        full: bool = False,
        progress: ProgressFn | None = None,
        _results: list[SyncResult] | None = None,
    ) -> SyncResult:
        """Sync one source; failures come back as a result, a cancel re-raises after cleanup.

        On SQLite one sync of this engine runs at a time, bookkeeping included: a sync
        holds the only write lock for its whole unit of work, so a second one could not
        write anyway, and its run row and status updates would wait on the first's lock
        and give up after the busy timeout. (A sync in another process waits for the lock
        in `UnitOfWork.open`.) PostgreSQL syncs of different sources run side by side.
        """
        async with self._turn():
            return await self._sync(name, full=full, progress=progress, _results=_results)

    async def _bookkeeping(self, fn: Callable[..., R], *args: Any) -> R:
        """A run-row or status write in a transaction of its own, on a thread.

        On SQLite a sync in another process may hold the write lock for longer than the
        busy timeout; the write is then tried again (it did nothing the first time) until
        `unit.LOCK_WAIT_S`, as the unit of work's claim is, instead of failing a sync
        that itself went well.
        """
        return await when_unlocked(
            lambda: asyncio.to_thread(fn, self.db.engine, *args), fn.__name__
        )

    def _turn(self) -> AbstractAsyncContextManager[Any]:
        if self.db.dialect != "sqlite":
            return nullcontext()
        loop = asyncio.get_running_loop()
        turn = self._turns.get(loop)
        if turn is None:
            turn = self._turns[loop] = asyncio.Lock()
        return turn

    async def _sync(
        self,
        name: str,
        *,
        full: bool,
        progress: ProgressFn | None,
        _results: list[SyncResult] | None,
    ) -> SyncResult:
        row = self.sources.row(name)
        config = self.sources.config_of(row)
        adapter = self.sources.adapter(config)
        since = None
        if adapter.capabilities.incremental and not full:
            since = await asyncio.to_thread(runs.last_success_start, self.db.engine, row.id)
        kind = "incremental" if since is not None else "full"
        run_id = await self._bookkeeping(runs.start_run, row.id, kind)
        result = SyncResult(name=name, status="ok", kind=kind, run_id=run_id)
        ctx = ListingContext(
            full=since is None,
            since=since,
            state=copy.deepcopy(row.sync_state),
            prune_programmes_before=utcnow() - PROGRAMME_KEEP,
            progress=self._progress_relay(name, run_id, progress),
        )
        self.bus.publish(SyncStarted(source=name, run_id=run_id, full=since is None))
        started = time.monotonic()
        log.info("sync of %s started (run %s, %s)", name, run_id, kind)
        events: list[Event] = []
        try:
            writer = await self._run_unit(row, adapter, ctx, events, progress, run_id)
        except asyncio.CancelledError:
            result.status, result.error = "cancelled", "sync cancelled"
            result.duration_s = time.monotonic() - started
            await self._record_failure(row, result, None)
            if _results is not None:
                _results.append(result)
            raise
        except Exception as exc:
            failure = classify(exc, name)
            # The failure goes back in the result (and to sync_runs); the caller decides
            # how loudly to report it. The traceback is for --debug.
            log.info("sync of %s failed: %s", name, failure.message)
            log.debug("sync of %s failed", name, exc_info=exc)
            result.status, result.error = failure.run_status, failure.message
            result.duration_s = time.monotonic() - started
            await self._record_failure(row, result, failure.source_status)
            return result
        finally:
            await adapter.aclose()
        counts = writer.counts.as_dict()
        result.added, result.updated, result.removed = (
            counts["added"],
            counts["updated"],
            counts["removed"],
        )
        result.duration_s = time.monotonic() - started
        result.source_status = "ok"
        result.changed_parents = self._changed_parents(events)
        if events:
            invalidate_vocabulary()  # typo correction must see the new words
        for event in events:
            self.bus.publish(event)
        if writer.watch_changed and writer.watch_user_id is not None:
            self.bus.publish(
                WatchStateChanged(user_id=writer.watch_user_id, item_ids=writer.watch_changed)
            )
        if row.status != "ok":
            self.bus.publish(SourceStatusChanged(source=name, status="ok", previous=row.status))
        self.bus.publish(
            SyncCompleted(
                source=name,
                run_id=run_id,
                added=result.added,
                updated=result.updated,
                removed=result.removed,
                duration_s=result.duration_s,
            )
        )
        log.info("sync of %s done in %.2fs: %s", name, result.duration_s, counts)
        return result

    async def _run_unit(
        self,
        row: SourceRow,
        adapter: SourceAdapter,
        ctx: ListingContext,
        events: list[Event],
        progress: ProgressFn | None,
        run_id: int,
    ) -> CatalogWriter:
        def on_chunk(changes: ChunkChanges) -> None:
            events.append(
                ItemsChanged(
                    source=row.name,
                    created=changes.created,
                    updated=changes.updated,
                    deleted=changes.deleted,
                )
            )

        with relaxed_gc():
            async with UnitOfWork(self.db.engine, row.name) as unit:
                await unit.open(row.id)
                writer = CatalogWriter(
                    unit.conn,
                    row.id,
                    chunk_size=self.chunk_size,
                    on_chunk=on_chunk,
                    user_id=self._user_id,
                    prune_programmes_before=ctx.prune_programmes_before,
                )
                # An incremental listing names few items: the writer looks those up
                # rather than reading the whole source's map (and adapters then have no
                # stored hashes to compare with, which they are written to cope with).
                await unit.run(lambda: writer.load(lazy=ctx.since is not None))
                ctx.known_hashes = writer.known_hashes()
                await self._pump(adapter.listing(ctx), unit, writer, row.name, run_id, progress)
                await unit.run(writer.finish, set(ctx.complete_types))
                await unit.run(self._mark_success, unit.conn, row, adapter, ctx, writer, run_id)
                await unit.commit()
            return writer

    async def _pump(
        self,
        pages: AsyncIterator[ListingPage],
        unit: UnitOfWork,
        writer: CatalogWriter,
        name: str,
        run_id: int,
        progress: ProgressFn | None,
    ) -> None:
        """Fetch the next pages while the current one is written; stop on the first error."""
        queue: asyncio.Queue[object] = asyncio.Queue(maxsize=self.queue_pages)

        async def produce() -> None:
            try:
                async for page in pages:
                    await queue.put(page)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                await queue.put(_Failed(exc))
                return
            await queue.put(_DONE)

        producer = asyncio.create_task(produce(), name=f"listing-{name}")
        try:
            while True:
                item = await queue.get()
                if item is _DONE:
                    break
                if isinstance(item, _Failed):
                    raise item.exc
                assert isinstance(item, ListingPage)
                await unit.run(writer.write_page, item)
                self._report(name, run_id, "writing", writer.records_seen, None, progress)
        finally:
            producer.cancel()
            await asyncio.gather(producer, return_exceptions=True)
            aclose = getattr(pages, "aclose", None)
            if aclose is not None:
                try:
                    await aclose()
                except Exception:
                    log.debug("closing the listing of %s failed", name, exc_info=True)

    def _mark_success(
        self,
        conn: Connection,
        row: SourceRow,
        adapter: SourceAdapter,
        ctx: ListingContext,
        writer: CatalogWriter,
        run_id: int,
    ) -> None:
        """Status, bookkeeping, the run's outcome and anything the adapter learnt, in the
        same transaction as the work."""
        counts = {**writer.counts.as_dict(), "unchanged": writer.counts.unchanged}
        runs.close_run(conn, run_id, "ok", counts, None)
        values: dict[str, Any] = {
            "status": "ok",
            "last_error": None,
            "last_sync_at": utcnow(),
            "sync_state": ctx.state,
        }
        settings = dict(adapter.config.settings)
        if settings != row.settings:
            values["settings"] = settings
        secrets = dict(adapter.config.secrets)
        if secrets != self.sources.box.decrypt(row.secret):
            values["secret"] = self.sources.box.encrypt(secrets)
        conn.execute(update(SOURCES).where(SOURCES.c.id == row.id).values(**values))

    async def _record_failure(self, row: SourceRow, result: SyncResult, status: str | None) -> None:
        assert result.run_id is not None
        error = result.error or "failed"
        await self._bookkeeping(runs.finish_run, result.run_id, result.status, {}, error)
        previous = await self._bookkeeping(runs.set_source_failure, row.id, status, error)
        result.source_status = status or previous
        self.bus.publish(
            SyncFailed(source=row.name, run_id=result.run_id, status=result.status, error=error)
        )
        if status is not None and status != previous:
            self.bus.publish(
                SourceStatusChanged(source=row.name, status=status, previous=previous, error=error)
            )

    def _user_id(self, conn: Connection) -> int:
        """Whose watch state a source's user data lands in (the CLI user or local owner)."""
        with Session(bind=conn) as session:
            user = resolve_user(session, self.user)
            session.flush()
            return int(user.id)

    def _changed_parents(self, events: list[Event]) -> list[int]:
        """Shows whose record changed: the ones whose children may be stale."""
        ids: list[int] = []
        for event in events:
            if isinstance(event, ItemsChanged):
                ids.extend(event.updated.get("show", []))
        return ids

    # -- progress ------------------------------------------------------------------------

    def _progress_relay(
        self, name: str, run_id: int, progress: ProgressFn | None
    ) -> Callable[[str, int, int | None], None]:
        def relay(phase: str, done: int, total: int | None) -> None:
            self._report(name, run_id, phase, done, total, progress)

        return relay

    def _report(
        self,
        name: str,
        run_id: int,
        phase: str,
        done: int,
        total: int | None,
        progress: ProgressFn | None,
    ) -> None:
        self.bus.publish(
            SyncProgress(source=name, run_id=run_id, phase=phase, done=done, total=total)
        )
        if progress is not None:
            try:
                progress(name, phase, done, total)
            except Exception:  # a broken progress bar must not fail a sync
                log.debug("progress callback failed", exc_info=True)

    # -- helpers for callers -------------------------------------------------------------

    def parents_with_children(self, item_ids: Sequence[int]) -> list[int]:
        """Those of `item_ids` whose children were fetched before (worth refetching)."""
        if not item_ids:
            return []
        found: set[int] = set()
        with self.db.engine.connect() as conn:
            for start in range(0, len(item_ids), 500):
                part = list(item_ids[start : start + 500])
                found.update(
                    conn.execute(
                        select(ITEMS.c.parent_id).where(ITEMS.c.parent_id.in_(part)).distinct()
                    ).scalars()
                )
        return [i for i in item_ids if i in found]
