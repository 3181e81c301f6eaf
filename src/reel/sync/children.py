"""Children fetched on demand: one parent's subtree (an Xtream series' seasons and
episodes) synced when it is first opened, and a background pass that refetches only the
parents whose own record changed.

Each parent is its own small unit of work, swept only within that parent's subtree, with
the adapter's bookkeeping (e.g. the series' `last_modified` stamps) saved in the same
transaction, so a stamp is never stored for children that were not. Children are fetched
with bounded concurrency but written one parent at a time: the catalog has one writer.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select, update

from reel.errors import InvalidInput, NotFound
from reel.events.types import ItemsChanged
from reel.services.sources import SourceRow
from reel.sources.base import ListingContext, SourceAdapter
from reel.sources.errors import SourceError
from reel.sources.records import ListingPage
from reel.sync.changes import ChunkChanges
from reel.sync.engine import SOURCES, SyncEngine
from reel.sync.unit import UnitOfWork
from reel.sync.writer import ITEMS, CatalogWriter

log = logging.getLogger(__name__)

CHILD_TYPES = frozenset({"season", "episode"})


@dataclass
class ChildrenResult:
    """What a children sync changed, per item type."""

    parent_id: int
    added: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    error: str | None = None


def merge_state(stored: dict[str, Any], fresh: dict[str, Any]) -> dict[str, Any]:
    """`fresh` over `stored`, merging one level of nested dicts (per-parent stamps)."""
    merged = copy.deepcopy(stored)
    for key, value in fresh.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key].update(value)
        else:
            merged[key] = value
    return merged


class ChildrenSync:
    """On-demand and background children syncs for one engine."""

    def __init__(self, engine: SyncEngine) -> None:
        self.engine = engine
        self._write_lock = asyncio.Lock()

    async def sync_children(self, source: str, item_id: int) -> ChildrenResult:
        """Fetch and store the children of one item now; errors propagate to the caller."""
        row = self.engine.sources.row(source)
        adapter = self.engine.sources.adapter(self.engine.sources.config_of(row))
        try:
            return await self._fetch_and_write(adapter, row, item_id)
        finally:
            await adapter.aclose()

    async def refresh(
        self, source: str, item_ids: Sequence[int], *, concurrency: int = 4
    ) -> list[ChildrenResult]:
        """Refetch the children of `item_ids` with bounded concurrency; a failure is
        reported for its parent and never stops the others."""
        if not item_ids:
            return []
        row = self.engine.sources.row(source)
        adapter = self.engine.sources.adapter(self.engine.sources.config_of(row))
        gate = asyncio.Semaphore(max(1, concurrency))

        async def one(item_id: int) -> ChildrenResult:
            async with gate:
                try:
                    return await self._fetch_and_write(adapter, row, item_id)
                except (SourceError, NotFound) as exc:
                    log.warning("children of item %s in %s: %s", item_id, source, exc)
                    return ChildrenResult(parent_id=item_id, error=str(exc))

        try:
            return list(await asyncio.gather(*(one(i) for i in item_ids)))
        finally:
            await adapter.aclose()

    async def refresh_changed(self, source: str, changed: Sequence[int] = ()) -> int:
        """The background pass after a sync; returns how many parents were refetched.

        Adapters that track per-parent stamps (Xtream's `refresh_changed_series`) decide
        which parents moved; for the others, `changed` (parents whose record changed in
        the sync) that already have children are refetched.
        """
        row = self.engine.sources.row(source)
        adapter = self.engine.sources.adapter(self.engine.sources.config_of(row))
        try:
            refresher = getattr(adapter, "refresh_changed_series", None)
            if refresher is None:
                stale = self.engine.parents_with_children(changed)
                results = await self.refresh(source, stale) if stale else []
                return len(results)
            shows = await asyncio.to_thread(self._shows, row.id)
            state = copy.deepcopy(row.sync_state)
            count = 0
            async for remote_id, page in refresher(list(shows.items()), state):
                item_id = self._ids(row.id, remote_id)
                if item_id is None:
                    continue
                await self._write(row, item_id, [page], CHILD_TYPES, state)
                count += 1
            return count
        finally:
            await adapter.aclose()

    async def _fetch_and_write(
        self, adapter: SourceAdapter, row: SourceRow, item_id: int
    ) -> ChildrenResult:
        remote_id = await asyncio.to_thread(self._remote_id, row.id, item_id)
        ctx = ListingContext(full=True, state=copy.deepcopy(row.sync_state))
        try:
            pages: list[ListingPage] = [p async for p in adapter.children(remote_id, ctx)]
        except NotImplementedError:
            raise InvalidInput(f"{adapter.kind} sources list children with the catalog") from None
        return await self._write(row, item_id, pages, set(ctx.complete_types), ctx.state)

    async def _write(
        self,
        row: SourceRow,
        item_id: int,
        pages: list[ListingPage],
        complete: set[str] | frozenset[str],
        state: dict[str, Any] | None,
    ) -> ChildrenResult:
        chunks: list[ChunkChanges] = []
        async with self._write_lock, UnitOfWork(self.engine.db.engine, row.name) as unit:
            await unit.open(row.id)
            writer = CatalogWriter(
                unit.conn,
                row.id,
                chunk_size=self.engine.chunk_size,
                on_chunk=chunks.append,
                scope_parent_id=item_id,
            )
            await unit.run(writer.load)
            for page in pages:
                await unit.run(writer.write_page, page)
            await unit.run(writer.finish, set(complete))
            if state is not None:
                await unit.run(self._save_state, unit.conn, row.id, state)
            await unit.commit()
        for changes in chunks:
            self.engine.bus.publish(
                ItemsChanged(
                    source=row.name,
                    created=changes.created,
                    updated=changes.updated,
                    deleted=changes.deleted,
                )
            )
        counts = writer.counts.as_dict()
        return ChildrenResult(item_id, counts["added"], counts["updated"], counts["removed"])

    @staticmethod
    def _save_state(conn: Connection, source_id: int, state: dict[str, Any]) -> None:
        stored = conn.execute(
            select(SOURCES.c.sync_state).where(SOURCES.c.id == source_id)
        ).scalar()
        merged = merge_state(dict(stored or {}), state)
        conn.execute(update(SOURCES).where(SOURCES.c.id == source_id).values(sync_state=merged))

    def _remote_id(self, source_id: int, item_id: int) -> str:
        with self.engine.db.engine.connect() as conn:
            found = conn.execute(
                select(ITEMS.c.remote_id).where(
                    ITEMS.c.id == item_id, ITEMS.c.source_id == source_id
                )
            ).scalar()
        if found is None:
            raise NotFound(f"no item {item_id} in this source")
        return str(found)

    def _shows(self, source_id: int) -> dict[str, object]:
        """remote id → last_modified stamp of every show, as the adapter recorded it."""
        with self.engine.db.engine.connect() as conn:
            rows = conn.execute(
                select(ITEMS.c.remote_id, ITEMS.c.extra).where(
                    ITEMS.c.source_id == source_id, ITEMS.c.type == "show"
                )
            )
            return {r.remote_id: (r.extra or {}).get("last_modified") for r in rows}

    def _ids(self, source_id: int, remote_id: str) -> int | None:
        with self.engine.db.engine.connect() as conn:
            found: int | None = conn.execute(
                select(ITEMS.c.id).where(
                    ITEMS.c.source_id == source_id,
                    ITEMS.c.type == "show",
                    ITEMS.c.remote_id == remote_id,
                )
            ).scalar()
        return found
