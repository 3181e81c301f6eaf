"""SQLite has one writer at a time and a sync holds it for its whole unit of work: a
second sync waits for its turn (in this process, bookkeeping included; from another
process, at the claim) instead of failing with "database is locked" after the busy
timeout."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import insert, text

from reel.catalog import db as db_module
from reel.catalog.db import Database
from reel.sync import unit as unit_module
from reel.sync.engine import SyncEngine
from reel.sync.unit import SOURCES, UnitOfWork
from reel.testing.fakes.xtream import XtreamFake, XtreamFakeConfig
from tests.sqlite_locks import hold_write_lock
from tests.sync.test_xtream_sync import add_panel, xtream_engine, xtream_service
from tests.xtream_panel import xtream_panel


@pytest.fixture
def panel() -> Iterator[XtreamFake]:
    with xtream_panel(XtreamFakeConfig(live=40, vod=60, series=8)) as fake:
        yield fake


def make_engine(db: Database) -> SyncEngine:
    return xtream_engine(xtream_service(db, page_size=30), chunk_size=20)


async def test_two_syncs_at_once_both_land(db: Database, panel: XtreamFake) -> None:
    engine = make_engine(db)
    for name in ("a", "b"):
        await add_panel(engine.sources, panel, name=name)
    results = await asyncio.gather(engine.sync("a", full=True), engine.sync("b", full=True))
    assert [r.status for r in results] == ["ok", "ok"], [r.error for r in results]
    with db.engine.connect() as conn:
        runs = conn.execute(
            text(
                "SELECT s.name, r.status, r.started_at, r.finished_at FROM sync_runs r "
                "JOIN sources s ON s.id = r.source_id ORDER BY r.id"
            )
        ).all()
        per_source = conn.execute(
            text("SELECT source_id, count(*) FROM items GROUP BY source_id")
        ).all()
    assert [(r[0], r[1]) for r in runs] == [("a", "ok"), ("b", "ok")]
    assert len(per_source) == 2 and per_source[0][1] == per_source[1][1] > 0
    if db.dialect == "sqlite":  # one after the other, run rows included
        assert runs[0][3] <= runs[1][2]


@pytest.fixture
def sqlite_db(sqlite_db: Database) -> Database:
    with sqlite_db.engine.begin() as conn:  # the ORM defaults fill the other columns
        conn.execute(insert(SOURCES).values(name="s", kind="m3u"))
    return sqlite_db


def source_id(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text("SELECT id FROM sources WHERE name = 's'")).scalar_one())


async def test_the_claim_waits_past_the_busy_timeout_for_another_writer(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(unit_module, "CLAIM_BUSY_MS", 100)  # many attempts in the wait
    held = threading.Event()
    holder = hold_write_lock(tmp_path / "reel.db", 1.0, held)
    assert held.wait(5)
    started = time.monotonic()
    async with UnitOfWork(sqlite_db.engine, "s") as unit:
        await unit.open(source_id(sqlite_db))
        assert time.monotonic() - started >= 0.5  # it did wait for the holder
        busy = unit.conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
        assert busy == 10000  # the connection keeps its own timeout after the claim
    holder.join()


async def test_the_claim_gives_up_after_its_wait(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(unit_module, "CLAIM_BUSY_MS", 100)
    held = threading.Event()
    holder = hold_write_lock(tmp_path / "reel.db", 2.0, held)
    assert held.wait(5)
    with pytest.raises(Exception, match="database is locked"):
        async with UnitOfWork(sqlite_db.engine, "s", lock_wait_s=0.3) as unit:
            await unit.open(source_id(sqlite_db))
    holder.join()
    with sqlite_db.engine.connect() as conn:  # the pooled connection is as it was
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000


async def test_a_sync_waits_out_a_writer_in_another_process(
    tmp_path: Path, panel: XtreamFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run row, claim and status writes all wait for the other writer, even past the
    connection's busy timeout (shortened here so the test is quick)."""
    monkeypatch.setattr(db_module, "BUSY_TIMEOUT_MS", 100)
    monkeypatch.setattr(unit_module, "CLAIM_BUSY_MS", 100)
    db = Database(f"sqlite:///{tmp_path}/reel.db")
    try:
        engine = make_engine(db)
        await add_panel(engine.sources, panel, name="a")
        held = threading.Event()
        holder = hold_write_lock(tmp_path / "reel.db", 1.0, held)
        assert held.wait(5)
        result = await engine.sync("a", full=True)
        holder.join()
        assert result.status == "ok", result.error
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT status FROM sync_runs")).scalar_one() == "ok"
    finally:
        db.dispose()
