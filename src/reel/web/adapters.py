"""Adapters kept warm per source for the stream proxy and the image cache.

Building an adapter decrypts the source's secrets and may set up an HTTP client; doing
that for every poster of a library grid would dominate the request. Entries expire after a
few minutes so edited settings take effect without a restart.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from reel.catalog.models import Base
from reel.errors import NotFound
from reel.services.sources import SourceService
from reel.sources.base import SourceAdapter
from reel.web.threads import in_thread

log = logging.getLogger(__name__)

ITEMS = Base.metadata.tables["items"]
SOURCES = Base.metadata.tables["sources"]
TTL_S = 300.0


@dataclass(frozen=True)
class ItemRef:
    """What the proxy and the image cache need to know about one item."""

    id: int
    source: str
    source_id: int
    remote_id: str
    type: str
    stream: dict[str, Any]
    artwork: dict[str, Any]
    source_status: str


def item_ref(sources: SourceService, item_id: int) -> ItemRef:
    with sources.db.engine.connect() as conn:
        row = conn.execute(
            select(
                ITEMS.c.id,
                ITEMS.c.remote_id,
                ITEMS.c.type,
                ITEMS.c.stream,
                ITEMS.c.artwork,
                ITEMS.c.source_id,
                SOURCES.c.name,
                SOURCES.c.status,
            )
            .join(SOURCES, SOURCES.c.id == ITEMS.c.source_id)
            .where(ITEMS.c.id == item_id)
        ).first()
    if row is None:
        raise NotFound(f"no item with id {item_id}")
    return ItemRef(
        id=row.id,
        source=row.name,
        source_id=row.source_id,
        remote_id=row.remote_id,
        type=row.type,
        stream=dict(row.stream or {}),
        artwork=dict(row.artwork or {}),
        source_status=row.status,
    )


class AdapterPool:
    """One adapter per source name, rebuilt after `TTL_S` seconds."""

    def __init__(self, sources: SourceService) -> None:
        self.sources = sources
        self._adapters: dict[str, tuple[float, SourceAdapter]] = {}
        self._lock = asyncio.Lock()

    async def get(self, source: str) -> SourceAdapter:
        now = time.monotonic()
        found = self._adapters.get(source)
        if found is not None and now - found[0] < TTL_S:
            return found[1]
        async with self._lock:
            found = self._adapters.get(source)
            if found is not None and now - found[0] < TTL_S:
                return found[1]
            config = await in_thread(self.sources.config, source)
            adapter = self.sources.adapter(config)
            self._adapters[source] = (now, adapter)
        if found is not None:
            await self._close(found[1])
        return adapter

    def forget(self, source: str) -> None:
        self._adapters.pop(source, None)

    @staticmethod
    async def _close(adapter: SourceAdapter) -> None:
        try:
            await adapter.aclose()
        except Exception:
            log.debug("closing an adapter failed", exc_info=True)

    async def close(self) -> None:
        adapters = [a for _, a in self._adapters.values()]
        self._adapters.clear()
        for adapter in adapters:
            await self._close(adapter)
