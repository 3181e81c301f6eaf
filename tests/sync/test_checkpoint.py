"""A sync's commit leaves copying its write-ahead log into the database file to a
background checkpoint, instead of doing it inside the commit the sync waits on."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Connection, insert, text

from reel.catalog import db as db_module
from reel.catalog.db import Database
from reel.sync import unit as unit_module
from reel.sync.unit import SOURCES, UnitOfWork

ROWS = 20_000  # about 1,500 pages of 4 KiB: past SQLite's 1,000-page automatic checkpoint


def file_pages(path: Path) -> int:
    """The page count in the database file's header: what checkpoints have copied in."""
    return int.from_bytes(path.read_bytes()[28:32], "big")


def fill(conn: Connection) -> None:
    conn.execute(text("CREATE TABLE scratch (id INTEGER PRIMARY KEY, body TEXT)"))
    conn.execute(
        text("INSERT INTO scratch (body) VALUES (:body)"),
        [{"body": f"{n:08d}" + "x" * 300} for n in range(ROWS)],
    )


async def test_the_commit_leaves_the_log_to_a_background_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "catalog.db"
    db = Database(f"sqlite:///{path}")
    with db.engine.begin() as conn:
        source_id = conn.execute(
            insert(SOURCES).values(name="s", kind="m3u").returning(SOURCES.c.id)
        ).scalar_one()
    scheduled: list[object] = []
    monkeypatch.setattr(unit_module, "checkpoint_later", scheduled.append)
    before = file_pages(path)

    async with UnitOfWork(db.engine, "s") as unit:
        await unit.open(source_id)
        await unit.run(fill, unit.conn)
        await unit.commit()

    assert scheduled == [db.engine]
    # Committed and readable, but still only in the log: the commit did not copy it.
    assert file_pages(path) < before + 100
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM scratch")).scalar() == ROWS
        raw = conn.connection.driver_connection
        assert raw is not None  # the pooled connection went back with its own settings
        assert raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
        assert raw.execute("PRAGMA mmap_size").fetchone()[0] > 0

    thread = db_module.checkpoint_later(db.engine)
    assert thread is not None
    thread.join(timeout=30)
    assert file_pages(path) > before + ROWS * 300 // 4096
    db.dispose()


def test_dispose_waits_for_a_running_checkpoint(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'catalog.db'}")
    thread = db_module.checkpoint_later(db.engine)
    assert thread is not None
    db.dispose()
    assert not thread.is_alive()
