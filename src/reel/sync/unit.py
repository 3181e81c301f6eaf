"""One transaction on one worker thread: the boundary of a sync's unit of work.

All database calls of a sync run on a single dedicated thread (so the event loop keeps
fetching and decoding while a chunk is written) on one connection with one open
transaction. If the sync fails or is cancelled at any await, `close()` waits for the
chunk in flight to finish and then rolls back, so the catalog is exactly what it was.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, update

from reel.catalog.models import Base

log = logging.getLogger(__name__)

SOURCES = Base.metadata.tables["sources"]
R = TypeVar("R")


class UnitOfWork:
    """Async front for a connection living on its own thread."""

    def __init__(self, engine: Engine, label: str) -> None:
        self._engine = engine
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"reel-sync-{label}")
        self._conn: Connection | None = None
        self._mmap_size: int | None = None
        self.committed = False

    @property
    def conn(self) -> Connection:
        assert self._conn is not None, "unit of work not opened"
        return self._conn

    async def run(self, fn: Callable[..., R], *args: Any) -> R:
        """Run `fn(*args)` on the unit's thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, *args)

    async def open(self, source_id: int) -> None:
        """Connect, begin, and claim the source row (and SQLite's write lock) up front.

        Taking the lock first means the transaction never has to upgrade from reader to
        writer later, which in WAL mode fails outright when another write slipped in.
        """
        await self.run(self._open, source_id)

    def _open(self, source_id: int) -> None:
        self._conn = self._engine.connect()
        if self._conn.dialect.name == "sqlite":
            self._tune_sqlite(self._conn)
        self._conn.begin()
        self._conn.execute(
            update(SOURCES).where(SOURCES.c.id == source_id).values(status=SOURCES.c.status)
        )

    def _tune_sqlite(self, conn: Connection) -> None:
        """No memory-mapped reads for the sync's connection (restored on close).

        A sync reads every row of its source (the hash map, sweeps); through the 256 MB
        mmap window those pages stay resident in this process and count against its
        memory, while the bounded page cache serves the same reads about as fast.
        """
        raw = conn.connection.driver_connection  # outside SQLAlchemy's transaction
        assert raw is not None
        self._mmap_size = int(raw.execute("PRAGMA mmap_size").fetchone()[0])
        raw.execute("PRAGMA mmap_size=0")

    async def commit(self) -> None:
        # Shielded: once the commit has started, cancelling only stops our waiting.
        fut: Future[None] = self._executor.submit(self._commit)
        await asyncio.shield(asyncio.wrap_future(fut))

    def _commit(self) -> None:
        self.conn.commit()
        self.committed = True

    def close(self) -> None:
        """Roll back unless committed, release the connection, stop the thread.

        Blocks the loop for at most one chunk: returning earlier would leave a write
        running on a transaction that is about to be thrown away.
        """
        fut = self._executor.submit(self._close)
        try:
            fut.result()
        finally:
            self._executor.shutdown(wait=True)

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if conn.in_transaction() and not self.committed:
                conn.rollback()
            if self._mmap_size is not None:  # the pooled connection goes back as it came
                raw = conn.connection.driver_connection
                assert raw is not None
                raw.execute(f"PRAGMA mmap_size={self._mmap_size}")
        finally:
            conn.close()

    async def __aenter__(self) -> UnitOfWork:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
