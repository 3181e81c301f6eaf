"""One transaction on one worker thread: the boundary of a sync's unit of work.

All database calls of a sync run on a single dedicated thread (so the event loop keeps
fetching and decoding while a chunk is written) on one connection with one open
transaction. If the sync fails or is cancelled at any await, `close()` waits for the
chunk in flight to finish and then rolls back, so the catalog is exactly what it was.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, update
from sqlalchemy.exc import OperationalError

from reel.catalog.db import checkpoint_later
from reel.catalog.models import Base

log = logging.getLogger(__name__)

SOURCES = Base.metadata.tables["sources"]
R = TypeVar("R")

# SQLite has one writer at a time, and a sync holds the write lock for its whole unit of
# work (a first sync of a big source: many seconds). Another sync, in this process or
# another, waits its turn instead of failing after the connection's 10 s busy timeout:
# it asks for the lock with a short timeout, again and again, until LOCK_WAIT_S.
LOCK_WAIT_S = 30 * 60.0
CLAIM_BUSY_MS = 1000  # per attempt; short, so a cancelled wait ends within a second


def _locked(exc: OperationalError) -> bool:
    """SQLite's answer when another connection held the write lock past the busy timeout
    (no other database says this)."""
    return "database is locked" in str(exc.orig)


async def when_unlocked(
    attempt: Callable[[], Awaitable[R]], label: str, wait_s: float = LOCK_WAIT_S
) -> R:
    """`attempt()` again and again while SQLite's write lock is held elsewhere, up to
    `wait_s`; for work that did nothing when it met the lock. A cancel lands between
    attempts."""
    deadline = time.monotonic() + wait_s
    waiting_since: float | None = None
    while True:
        try:
            result = await attempt()
        except OperationalError as exc:
            if not _locked(exc) or time.monotonic() >= deadline:
                raise
            if waiting_since is None:
                waiting_since = time.monotonic()
                log.info("%s: another writer holds the catalog; waiting for it", label)
            await asyncio.sleep(0.05)
            continue
        if waiting_since is not None:
            waited = time.monotonic() - waiting_since
            log.info("%s: waited %.1f s for the catalog", label, waited)
        return result


@contextmanager
def _busy_timeout(conn: Connection, ms: int) -> Iterator[None]:
    """A shorter busy timeout on the connection for the block (the pooled connection goes
    back with its own)."""
    raw = conn.connection.driver_connection
    assert raw is not None
    before = int(raw.execute("PRAGMA busy_timeout").fetchone()[0])
    raw.execute(f"PRAGMA busy_timeout={min(before, ms)}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA busy_timeout={before}")


class UnitOfWork:
    """Async front for a connection living on its own thread."""

    def __init__(self, engine: Engine, label: str, lock_wait_s: float = LOCK_WAIT_S) -> None:
        self._engine = engine
        self.label = label
        self.lock_wait_s = lock_wait_s
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"reel-sync-{label}")
        self._conn: Connection | None = None
        self._restore: dict[str, int] = {}  # SQLite pragmas to put back on close
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
        While another sync holds SQLite's write lock this waits for it, up to
        `lock_wait_s`, then fails with SQLite's "database is locked".
        """
        await when_unlocked(lambda: self.run(self._open, source_id), self.label, self.lock_wait_s)

    def _open(self, source_id: int) -> None:
        """One attempt at the claim; on any error the connection is released."""
        conn = self._conn = self._engine.connect()
        sqlite = conn.dialect.name == "sqlite"
        try:
            if sqlite:
                self._tune_sqlite(conn)
            with _busy_timeout(conn, CLAIM_BUSY_MS) if sqlite else nullcontext():
                conn.begin()
                conn.execute(
                    update(SOURCES).where(SOURCES.c.id == source_id).values(status=SOURCES.c.status)
                )
        except BaseException:
            self._close()
            raise

    def _tune_sqlite(self, conn: Connection) -> None:
        """Settings for the sync's connection (restored on close).

        No memory-mapped reads: a sync reads every row of its source (the hash map,
        sweeps); through the 256 MB mmap window those pages stay resident in this process
        and count against its memory, while the bounded page cache serves the same reads
        about as fast. No automatic checkpoint at commit: a sync's commit leaves a big
        log, and copying it into the database file is left to a thread of its own
        (`checkpoint_later`) instead of keeping the sync, or the next commit, waiting.
        """
        raw = conn.connection.driver_connection  # outside SQLAlchemy's transaction
        assert raw is not None
        for pragma, value in (("mmap_size", 0), ("wal_autocheckpoint", 0)):
            self._restore[pragma] = int(raw.execute(f"PRAGMA {pragma}").fetchone()[0])
            raw.execute(f"PRAGMA {pragma}={value}")

    async def commit(self) -> None:
        # Shielded: once the commit has started, cancelling only stops our waiting.
        fut: Future[None] = self._executor.submit(self._commit)
        await asyncio.shield(asyncio.wrap_future(fut))

    def _commit(self) -> None:
        self.conn.commit()
        self.committed = True
        checkpoint_later(self._engine)  # SQLite: the log this commit left, in the background

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
            if self._restore:  # the pooled connection goes back as it came
                raw = conn.connection.driver_connection
                assert raw is not None
                for pragma, value in self._restore.items():
                    raw.execute(f"PRAGMA {pragma}={value}")
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
