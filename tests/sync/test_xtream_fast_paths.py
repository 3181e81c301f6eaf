"""The Xtream fast paths through the engine: unchanged entries are never converted nor
rewritten, and a source's first big load defers the secondary indexes without ever
leaving the catalog without them (on SQLite; PostgreSQL keeps its indexes)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import text

from reel.catalog.db import Database
from reel.sources.xtream import offload
from reel.sync.engine import SyncEngine
from reel.testing.fakes.xtream import XtreamFake, XtreamFakeConfig
from tests.sync.conftest import dump, items
from tests.sync.test_xtream_sync import add_panel, xtream_engine, xtream_service
from tests.xtream_panel import xtream_panel


@pytest.fixture
def fake() -> Iterator[XtreamFake]:
    with xtream_panel(XtreamFakeConfig(live=60, vod=300, series=20)) as panel:
        yield panel


@pytest.fixture
def engine(db: Database) -> SyncEngine:
    # big pages and chunks: the bulk paths
    return xtream_engine(xtream_service(db, page_size=1000), chunk_size=1000)


@pytest.fixture
def conversions(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts calls of the adapter's entry → record converters per listing."""
    calls: dict[str, int] = {}
    patched = {}
    for action, (type_, key, convert) in offload.CONVERTERS.items():

        def counting(entry: Any, known: set[str], _a: str = action, _c: Callable = convert) -> Any:  # type: ignore[type-arg]
            calls[_a] = calls.get(_a, 0) + 1
            return _c(entry, known)

        patched[action] = (type_, key, counting)
    monkeypatch.setattr(offload, "CONVERTERS", patched)
    return calls


def index_sql(db: Database) -> list[tuple[str, str]]:
    with db.engine.connect() as conn:
        if db.dialect == "sqlite":
            sql = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'items'"
        else:
            sql = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'items'"
        return sorted((str(n), str(s)) for n, s in conn.execute(text(sql)))


async def test_unchanged_entries_are_neither_converted_nor_rewritten(
    db: Database, fake: XtreamFake, engine: SyncEngine, conversions: dict[str, int]
) -> None:
    await add_panel(engine.sources, fake)
    first = await engine.sync("panel")
    assert first.status == "ok", first.error
    assert first.added == {"channel": 60, "movie": 300, "show": 20}
    assert sum(conversions.values()) == 380
    before = items(db)
    conversions.clear()

    again = await engine.sync("panel")
    assert (again.status, again.added, again.updated, again.removed) == ("ok", {}, {}, {})
    assert conversions == {}
    after = items(db)
    assert after.keys() == before.keys()
    assert all(after[k].modified_at == before[k].modified_at for k in before)

    renamed = fake.catalog.rename("vod", 3)
    removed = fake.catalog.remove("live", 2)
    fake.warm()
    third = await engine.sync("panel")
    assert third.status == "ok", third.error
    assert (third.updated, third.removed) == ({"movie": 3}, {"channel": 2})
    assert conversions == {"get_vod_streams": 3}
    rows = items(db)
    assert all(("channel", r) not in rows for r in removed)
    assert all(" Renamed " in rows[("movie", r)].title for r in renamed)


async def test_first_big_load_keeps_every_index(
    db: Database, fake: XtreamFake, engine: SyncEngine
) -> None:
    indexes = index_sql(db)
    assert len(indexes) > 5
    await add_panel(engine.sources, fake)
    result = await engine.sync("panel")
    assert result.status == "ok", result.error
    assert index_sql(db) == indexes
    if db.dialect == "sqlite":
        with db.engine.connect() as conn:  # the rebuilt indexes hold every row
            sql = "SELECT count(*) FROM items INDEXED BY ix_items_type_sort WHERE type > ''"
            assert conn.execute(text(sql)).scalar() == 380


async def test_failed_first_load_leaves_catalog_and_indexes_as_they_were(
    db: Database, fake: XtreamFake, engine: SyncEngine
) -> None:
    await add_panel(engine.sources, fake)
    indexes, catalog = index_sql(db), dump(db)
    fake.faults.set("error", actions={"get_series"})  # after live and VOD were written
    result = await engine.sync("panel")
    assert result.status != "ok"
    assert index_sql(db) == indexes
    assert dump(db) == catalog
    fake.faults.clear()
    assert sum((await engine.sync("panel")).added.values()) == 380
    assert index_sql(db) == indexes
