"""Big all-new Xtream listings are converted by a worker process: the catalog it produces
is the one in-process conversion produces, and a worker that cannot start or dies only
costs speed."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from reel.catalog.db import Database
from reel.sources import worker
from reel.sources.xtream import offload
from reel.sync.engine import SyncEngine
from reel.testing.fakes.xtream import XtreamFake, XtreamFakeConfig
from tests.sync.test_xtream_sync import add_panel, xtream_engine, xtream_service
from tests.xtream_panel import xtream_panel

IGNORED = ("id", "created_at", "modified_at", "added_at", "category_id", "library_id")


@pytest.fixture
def fake() -> Iterator[XtreamFake]:
    # quirks on: numbers as strings, repeats, odd names
    with xtream_panel(XtreamFakeConfig(live=120, vod=500, series=60)) as panel:
        yield panel


def make_engine(db: Database) -> SyncEngine:
    return xtream_engine(xtream_service(db, page_size=97), chunk_size=50)  # many pages, odd sizes


def catalog(db: Database) -> dict[tuple[str, str], dict[str, Any]]:
    """Items by (type, remote id), without what differs between two loads by design."""
    from sqlalchemy import text

    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM items")).mappings().all()
    return {
        (r["type"], r["remote_id"]): {k: v for k, v in r.items() if k not in IGNORED} for r in rows
    }


async def load(db_url: str, fake: XtreamFake, tmp: str) -> dict[tuple[str, str], Any]:
    db = Database(db_url.replace("reel.db", f"{tmp}.db") if "sqlite" in db_url else db_url)
    try:
        engine = make_engine(db)
        await add_panel(engine.sources, fake, name=f"panel-{tmp}")
        result = await engine.sync(f"panel-{tmp}", full=True)
        assert result.status == "ok", result.error
        return catalog(db)
    finally:
        db.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Any) -> str:
    return f"sqlite:///{tmp_path}/reel.db"


async def test_worker_conversion_equals_in_process_conversion(
    sqlite_url: str, fake: XtreamFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = await load(sqlite_url, fake, "here")
    started: list[int] = []
    spawn = asyncio.create_subprocess_exec

    async def counting(*args: Any, **kwargs: Any) -> Any:
        started.append(1)
        return await spawn(*args, **kwargs)

    monkeypatch.setattr(offload, "MIN_ENTRIES", 10)
    monkeypatch.setattr(worker.asyncio, "create_subprocess_exec", counting)
    there = await load(sqlite_url, fake, "there")
    assert started == [1]  # one worker for the whole listing
    assert len(here) > 500
    assert there == here


async def test_a_worker_that_dies_leaves_the_rest_to_this_process(
    sqlite_url: str,
    fake: XtreamFake,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    here = await load(sqlite_url, fake, "here")
    # A "worker" that answers the first page properly and then exits.
    script = (
        "import sys; from reel.sources import worker as o; "
        "r = sys.stdin.buffer; w = sys.stdout.buffer; "
        "o.serve(type('One', (), {'read': lambda self, n, c=[0]: "
        "(c.__setitem__(0, c[0] + 1) or r.read(n)) if c[0] < 2 else b''})(), w)"
    )
    spawn = asyncio.create_subprocess_exec

    async def dying(*args: Any, **kwargs: Any) -> Any:
        return await spawn(sys.executable, "-c", script, **kwargs)

    monkeypatch.setattr(offload, "MIN_ENTRIES", 10)
    monkeypatch.setattr(worker.asyncio, "create_subprocess_exec", dying)
    with caplog.at_level(logging.WARNING, logger="reel.sources.xtream.offload"):
        there = await load(sqlite_url, fake, "there")
    assert there == here
    assert "continuing here" in caplog.text


async def test_a_worker_that_cannot_start_costs_nothing_but_speed(
    sqlite_url: str, fake: XtreamFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = await load(sqlite_url, fake, "here")

    async def refused(*args: Any, **kwargs: Any) -> Any:
        raise OSError("cannot fork")

    monkeypatch.setattr(offload, "MIN_ENTRIES", 10)
    monkeypatch.setattr(worker.asyncio, "create_subprocess_exec", refused)
    assert await load(sqlite_url, fake, "there") == here
