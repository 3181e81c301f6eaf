"""Read-then-write transactions on SQLite take the write lock at BEGIN, so a commit by
another connection between the read and the write cannot make the write fail."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from reel.catalog.db import Database, writing
from tests.sqlite_locks import other_writer


@pytest.fixture
def sqlite_db(sqlite_db: Database) -> Database:
    with sqlite_db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (0)"))
    return sqlite_db


def test_a_deferred_read_then_write_fails_when_another_commit_lands_between(
    sqlite_db: Database, tmp_path: Path
) -> None:
    """The hazard `writing` exists for: busy_timeout cannot save a stale snapshot."""
    other = other_writer(tmp_path / "reel.db")
    with pytest.raises(Exception, match="database is locked"), sqlite_db.engine.begin() as conn:
        conn.execute(text("SELECT n FROM t")).scalar()
        other.execute("UPDATE t SET n = n + 1")  # commits between our read and write
        conn.execute(text("UPDATE t SET n = 10"))
    sqlite_db.dispose()


def test_writing_holds_the_write_lock_from_begin(sqlite_db: Database, tmp_path: Path) -> None:
    other = other_writer(tmp_path / "reel.db")
    with writing(sqlite_db.engine) as conn:
        before = conn.execute(text("SELECT n FROM t")).scalar()
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            other.execute("UPDATE t SET n = n + 1")  # has to wait: it cannot slip in
        conn.execute(text("UPDATE t SET n = :n"), {"n": before + 10})
    other.execute("UPDATE t SET n = n + 1")  # and gets its turn after the commit
    with sqlite_db.engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM t")).scalar() == 11
    # A plain transaction afterwards on a pooled connection is deferred again.
    with sqlite_db.engine.begin() as conn:
        conn.execute(text("SELECT n FROM t")).scalar()
        other.execute("UPDATE t SET n = n + 1")  # a deferred reader does not block it
    sqlite_db.dispose()


def test_writing_on_postgresql_is_a_plain_transaction(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("the SQLite side is covered above")
    with writing(db.engine) as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
