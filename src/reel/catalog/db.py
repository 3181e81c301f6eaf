"""Engine and session set-up for both databases, and the pragmas SQLite needs.

SQLite runs in WAL mode with foreign keys on and a busy timeout so a reader never blocks
the sync writer; PostgreSQL gets `pg_trgm` for fuzzy matching. Migrations run on open.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import orjson
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)


class DatabaseError(Exception):
    """The database could not be opened or migrated; the message says what to do."""


BUSY_TIMEOUT_MS = 10_000  # how long a statement waits for another writer's lock


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA mmap_size=268435456")
    cursor.close()


def _bind_none_directly() -> None:
    """Make the driver bind None without its adaptation protocol.

    CPython's sqlite3 module sends every parameter that is not an exact int, float, str or
    bytes through the PEP 246 adaptation path, and for None that path fails two attribute
    lookups (two exceptions raised and cleared) before binding NULL. An item row has a dozen
    NULL columns, so that cost half of a large insert. A registered adapter is found by a
    dict lookup first; `{}.get` is a C callable that returns None, bound as NULL as before.
    The registry is process-wide, which is harmless: the value bound is the same.
    """
    sqlite3.register_adapter(type(None), cast(Callable[[None], None], {}.get))


def json_text(value: Any) -> str:
    """The JSON columns' serializer (bulk writes recognise it and take a C-level path)."""
    return orjson.dumps(value).decode()


def _json_loads(value: Any) -> Any:
    # A JSON column has NUMERIC affinity on SQLite, so a bare number comes back as one.
    if isinstance(value, int | float):
        return value
    return orjson.loads(value)


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url` with Reel's connection settings applied."""
    parsed = make_url(url)
    # orjson for the JSON columns: several per item row, so it shows in sync times.
    kwargs.setdefault("json_serializer", json_text)
    kwargs.setdefault("json_deserializer", _json_loads)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        _bind_none_directly()
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; take control so that a
        # unit of work is exactly one transaction (see SQLAlchemy's pysqlite notes).
        event.listen(engine, "connect", _disable_pysqlite_begin)
        event.listen(engine, "begin", _emit_begin)
        return engine
    if parsed.get_backend_name() == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(url, **kwargs)
    raise DatabaseError(f"unsupported database URL scheme {parsed.drivername!r}")


def _disable_pysqlite_begin(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


def _emit_begin(conn: Any) -> None:
    conn.exec_driver_sql(f"BEGIN {conn.get_execution_options().get(_BEGIN_MODE, '')}".rstrip())


_BEGIN_MODE = "reel_sqlite_begin"
# The execution options of a read-then-write transaction (ignored outside SQLite's BEGIN).
_IMMEDIATE = {_BEGIN_MODE: "IMMEDIATE"}


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A transaction that reads and then writes, taking SQLite's write lock at BEGIN.

    A deferred transaction that reads first holds a snapshot; if another connection
    commits before it writes, SQLite refuses the upgrade at once with "database is
    locked" (busy_timeout does not apply to a stale snapshot). BEGIN IMMEDIATE waits for
    the lock instead. PostgreSQL needs nothing of the kind.
    """
    with engine.connect() as conn:
        conn.execution_options(**_IMMEDIATE)
        with conn.begin():
            yield conn


# A checkpoint running after a big commit, per engine (see `checkpoint_later`).
_checkpoints: weakref.WeakKeyDictionary[Engine, threading.Thread] = weakref.WeakKeyDictionary()


def checkpoint_later(engine: Engine) -> threading.Thread | None:
    """Copy the write-ahead log into the database file on a thread of its own.

    A commit that leaves a big log (a sync writes thousands of pages) would otherwise
    checkpoint inside that commit, or inside the next small commit of any connection, and
    keep its caller waiting for work nobody waits on: readers see the committed data in
    the log either way. A PASSIVE checkpoint never blocks readers or writers; one that
    is already running is not started twice. Off SQLite there is nothing to do.
    """
    if engine.dialect.name != "sqlite":
        return None
    running = _checkpoints.get(engine)
    if running is not None and running.is_alive():
        return running

    def run() -> None:
        try:
            with engine.connect() as conn:
                raw = conn.connection.driver_connection
                assert raw is not None
                busy, pages, done = raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            log.debug("checkpoint: %s of %s log pages copied (busy=%s)", done, pages, busy)
        except Exception:  # the next commit's automatic checkpoint tries again
            log.debug("background checkpoint failed", exc_info=True)

    thread = threading.Thread(target=run, name="reel-checkpoint", daemon=True)
    _checkpoints[engine] = thread
    thread.start()
    return thread


def wait_for_checkpoint(engine: Engine) -> None:
    """Let a background checkpoint of `engine` finish (before the engine goes away)."""
    running = _checkpoints.get(engine)
    if running is not None:
        running.join()


class Database:
    """One catalog database: its engine, a session factory and the migration runner."""

    def __init__(self, url: str, *, migrate: bool = True, pool: bool = True) -> None:
        self.url = url
        extra: dict[str, Any] = {} if pool else {"poolclass": NullPool}
        self.engine = create_db_engine(url, **extra)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        if migrate:
            from reel.catalog.migrate import upgrade

            upgrade(self.engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on any error."""
        with self.sessions() as session, session.begin():
            yield session

    @contextmanager
    def writing_session(self) -> Iterator[Session]:
        """Like `session()`, for a unit of work that reads and then writes (loads objects,
        then changes or adds some): on SQLite its transaction begins IMMEDIATE, as with
        `writing`, so a commit by another connection between the first read and the flush
        cannot fail the flush with "database is locked". Keep network calls and other slow
        work out of it: it holds the write lock from start to commit. A session that only
        reads belongs in `session()`, which does not wait behind a long sync.
        """
        with self.sessions() as session, session.begin():
            # Procure the connection now, with the option the `begin` hook reads; the
            # session's transaction (commit on success, rollback on error) is as usual.
            session.connection(execution_options=_IMMEDIATE)
            yield session

    def dispose(self) -> None:
        wait_for_checkpoint(self.engine)
        self.engine.dispose()
