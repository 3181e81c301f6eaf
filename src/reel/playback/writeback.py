"""Send queued watch-state changes to their servers once those can be reached.

Rows flagged `pending_write_back` are grouped by source; each source gets one adapter for
its batch. A server that cannot be reached keeps its rows queued for the next attempt
(after its next successful sync, or the next change). A row is only cleared if it was not
changed again meanwhile (its `updated_at` still matches), so a newer change is never lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, select, update

from reel.catalog.models import Base
from reel.services.sources import SourceService
from reel.sources.base import SourceAdapter
from reel.sources.errors import CannotConnect, InvalidAuth, SourceError

log = logging.getLogger(__name__)

PLAYBACK = Base.metadata.tables["playback_state"]
ITEMS = Base.metadata.tables["items"]
SOURCES = Base.metadata.tables["sources"]
BATCH = 500


@dataclass
class FlushResult:
    """What one flush did, per source name."""

    written: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    offline: list[str] = field(default_factory=list)

    @property
    def pending_left(self) -> bool:
        return bool(self.offline)


async def _send(adapter: SourceAdapter, row: Any) -> None:
    if row.played:
        await adapter.set_played(row.remote_id, row.type, True)
    elif row.position_ms > 0 and row.type in ("movie", "episode"):
        await adapter.report_progress(
            row.remote_id, row.type, int(row.position_ms), row.duration_ms, "stopped"
        )
    else:
        await adapter.set_played(row.remote_id, row.type, False)


class WriteBack:
    """Flushes pending watch state through each source's adapter."""

    def __init__(self, sources: SourceService) -> None:
        self.sources = sources
        self.db = sources.db

    def _pending(self, source: str | None) -> list[Any]:
        stmt = (
            select(
                PLAYBACK.c.user_id,
                PLAYBACK.c.item_id,
                PLAYBACK.c.position_ms,
                PLAYBACK.c.duration_ms,
                PLAYBACK.c.played,
                PLAYBACK.c.updated_at,
                ITEMS.c.remote_id,
                ITEMS.c.type,
                SOURCES.c.name.label("source"),
            )
            .join(ITEMS, ITEMS.c.id == PLAYBACK.c.item_id)
            .join(SOURCES, SOURCES.c.id == ITEMS.c.source_id)
            .where(PLAYBACK.c.pending_write_back.is_(True), SOURCES.c.enabled.is_(True))
            .order_by(SOURCES.c.name, PLAYBACK.c.updated_at)
        )
        if source is not None:
            stmt = stmt.where(SOURCES.c.name == source)
        with self.db.engine.connect() as conn:
            return list(conn.execute(stmt).all())

    def _clear(self, rows: list[Any]) -> None:
        if not rows:
            return
        with self.db.engine.begin() as conn:
            for row in rows:
                conn.execute(
                    update(PLAYBACK)
                    .where(
                        and_(
                            PLAYBACK.c.user_id == row.user_id,
                            PLAYBACK.c.item_id == row.item_id,
                            PLAYBACK.c.updated_at == row.updated_at,
                        )
                    )
                    .values(pending_write_back=False, updated_at=row.updated_at)
                )

    def pending_count(self, source: str | None = None) -> int:
        return len(self._pending(source))

    async def flush(self, source: str | None = None) -> FlushResult:
        """Write back everything queued (for one source, or all); never raises for a source."""
        result = FlushResult()
        by_source: dict[str, list[Any]] = {}
        for row in self._pending(source):
            by_source.setdefault(row.source, []).append(row)
        for name, rows in by_source.items():
            await self._flush_source(name, rows, result)
        return result

    async def _flush_source(self, name: str, rows: list[Any], result: FlushResult) -> None:
        try:
            adapter = self.sources.adapter(self.sources.config(name))
        except Exception as exc:  # a broken source must not stop the others
            log.warning("write-back to %s skipped: %s", name, exc)
            return
        done: list[Any] = []
        sent = dropped = 0
        try:
            for row in rows:
                try:
                    await _send(adapter, row)
                    sent += 1
                except (CannotConnect, InvalidAuth) as exc:
                    # Offline, or signed out: the queue waits for the source to come back
                    # or be signed in again.
                    log.info("write-back to %s deferred: %s", name, exc)
                    result.offline.append(name)
                    break
                except NotImplementedError:
                    dropped += 1  # this kind keeps state locally; nothing to send
                except SourceError as exc:
                    # The server refused this one change (item gone, bad payload): retrying
                    # forever would block the queue, so it is dropped and logged.
                    log.warning("write-back of item %s to %s failed: %s", row.item_id, name, exc)
                    dropped += 1
                done.append(row)
                if len(done) >= BATCH:
                    self._clear(done)
                    done = []
        finally:
            await adapter.aclose()
            self._clear(done)
        result.written[name] = result.written.get(name, 0) + sent
        if dropped:
            result.dropped[name] = dropped


class WriteBackRunner:
    """Runs flushes in the background, one at a time; a kick during a flush re-runs it once
    more afterwards, so no change waits for the next sync."""

    def __init__(self, writeback: WriteBack) -> None:
        self.writeback = writeback
        self._task: asyncio.Task[None] | None = None
        self._again = False

    def kick(self) -> None:
        """Ask for a flush soon (call from the event loop)."""
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            self._again = False
            try:
                await self.writeback.flush()
            except Exception:
                log.exception("write-back failed")
            if not self._again:
                return

    async def wait(self) -> None:
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
