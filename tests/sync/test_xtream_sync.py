"""End to end: the Xtream adapter against the fake panel, through the engine, on both
databases. Faults at any point must leave the catalog exactly as it was."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text, update
from sqlalchemy.orm import Session

from reel.catalog.db import Database
from reel.catalog.models import Source
from reel.catalog.search import SearchQuery, search
from reel.catalog.secrets import SecretBox
from reel.events.bus import EventBus
from reel.events.types import Event, ItemsChanged
from reel.services.sources import SourceService
from reel.sources.base import SourceConfig
from reel.sources.http import RetryPolicy
from reel.sources.xtream.adapter import XtreamAdapter
from reel.sync.children import ChildrenSync
from reel.sync.engine import SyncEngine
from reel.testing.fakes.xtream import XtreamFake, XtreamFakeConfig
from reel.testing.server import free_port
from tests.sync.conftest import dump, items
from tests.xtream_panel import xtream_panel

FAST = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02)


@pytest.fixture
def fake() -> Iterator[XtreamFake]:
    with xtream_panel(XtreamFakeConfig(live=50, vod=80, series=12)) as panel:
        yield panel


def xtream_service(db: Database, page_size: int) -> SourceService:
    """Sources whose Xtream adapters page `page_size` entries and retry fast."""

    def factory(config: SourceConfig) -> XtreamAdapter:
        return XtreamAdapter(config, retry=FAST, page_size=page_size)

    return SourceService(db, SecretBox(Fernet.generate_key()), adapter_factory=factory)


def xtream_engine(service: SourceService, chunk_size: int) -> SyncEngine:
    return SyncEngine(service, EventBus(queue_size=10_000), chunk_size=chunk_size)


@pytest.fixture
def xservice(db: Database) -> SourceService:
    return xtream_service(db, page_size=40)


@pytest.fixture
def xengine(xservice: SourceService) -> SyncEngine:
    return xtream_engine(xservice, chunk_size=25)


async def add_panel(service: SourceService, fake: XtreamFake, name: str = "panel") -> None:
    await service.add(
        "xtream",
        name,
        {"url": fake.config.public_url, "epg": False},
        {"username": fake.config.username, "password": fake.config.password},
    )


def counts(db: Database) -> dict[str, int]:
    out: dict[str, int] = {}
    for key in items(db):
        out[key[0]] = out.get(key[0], 0) + 1
    return out


async def test_full_sync_then_nothing_to_do(
    db: Database, fake: XtreamFake, xservice: SourceService, xengine: SyncEngine
) -> None:
    await add_panel(xservice, fake)
    result = await xengine.sync("panel")
    assert result.status == "ok", result.error
    expected = {
        "channel": fake.catalog.count("live"),
        "movie": fake.catalog.count("vod"),
        "show": fake.catalog.count("series"),
    }
    assert result.added == expected == counts(db)
    assert xservice.get("panel").to_json()["counts"] == {**expected, "season": 0, "episode": 0}
    again = await xengine.sync("panel")
    assert (again.added, again.updated, again.removed) == ({}, {}, {})
    title = next(r.title for r in items(db).values() if r.type == "movie" and r.title)
    with db.engine.connect() as conn:
        found = search(Session(bind=conn), SearchQuery(text=title, limit=50))
    assert title in [i.title for i in found.items]


@pytest.mark.parametrize(
    ("mode", "status"),
    [
        ("error", "offline"),
        ("reset", "offline"),
        ("drop", "offline"),
        ("truncate", "error"),
        ("html", "error"),
    ],
)
async def test_fault_mid_listing_keeps_catalog(
    db: Database,
    fake: XtreamFake,
    xservice: SourceService,
    xengine: SyncEngine,
    mode: str,
    status: str,
) -> None:
    await add_panel(xservice, fake)
    assert (await xengine.sync("panel")).status == "ok"
    fake.catalog.add("vod", 5)
    fake.catalog.remove("live", 5)
    fake.catalog.rename("series", 2)
    before = dump(db)
    fake.faults.set(mode, actions={"get_series"})  # type: ignore[arg-type]
    result = await xengine.sync("panel")
    assert result.status == "failed" and result.error
    assert "get_series" in result.error or mode in ("reset", "drop", "error")
    assert dump(db) == before
    info = xservice.get("panel")
    assert (info.status, info.last_error) == (status, result.error)
    fake.faults.clear()
    healed = await xengine.sync("panel")
    assert healed.added == {"movie": 5} and healed.removed == {"channel": 5}
    assert healed.updated == {"show": 2}


async def test_cancel_while_waiting_keeps_catalog(
    db: Database, fake: XtreamFake, xservice: SourceService, xengine: SyncEngine
) -> None:
    await add_panel(xservice, fake)
    await xengine.sync("panel")
    fake.catalog.remove("vod", 10)
    before = dump(db)
    fake.faults.set("slow", delay=1.5, actions={"get_series"})
    task = asyncio.create_task(xengine.sync("panel"))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert dump(db) == before
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM sync_runs ORDER BY id DESC")).first() == (
            "cancelled",
        )


async def test_incremental_changes(
    db: Database, fake: XtreamFake, xservice: SourceService, xengine: SyncEngine
) -> None:
    await add_panel(xservice, fake)
    await xengine.sync("panel")
    before = items(db)
    renamed = fake.catalog.rename("vod", 3)
    moved = fake.catalog.recategorise("live", 2)
    added = fake.catalog.add("series", 2)
    removed = fake.catalog.remove("vod", 4)
    result = await xengine.sync("panel")
    assert result.added == {"show": 2}
    assert result.removed == {"movie": 4}
    renamed = [rid for rid in renamed if rid not in removed]  # a pick may hit both
    assert result.updated == {"movie": len(renamed), "channel": 2}
    now = items(db)
    for rid in renamed:
        assert now[("movie", rid)].title != before[("movie", rid)].title
        assert now[("movie", rid)].id == before[("movie", rid)].id
    for rid in moved:
        assert now[("channel", rid)].category_id != before[("channel", rid)].category_id
    assert all(("show", rid) in now for rid in added)
    assert not any(("movie", rid) in now for rid in removed)


async def test_bad_credentials_and_unreachable(
    db: Database, fake: XtreamFake, xservice: SourceService, xengine: SyncEngine
) -> None:
    await add_panel(xservice, fake)
    await xengine.sync("panel")
    before = dump(db)
    fake.faults.set("auth0")
    result = await xengine.sync("panel")
    assert result.error == "bad credentials for source panel"
    assert xservice.get("panel").status == "needs_sign_in"
    assert dump(db) == before
    fake.faults.clear()
    with db.engine.begin() as conn:
        conn.execute(update(Source).values(settings={"url": f"http://127.0.0.1:{free_port()}"}))
    result = await xengine.sync("panel")
    assert result.status == "failed" and xservice.get("panel").status == "offline"
    assert dump(db) == before


async def test_series_children_on_demand_and_background(
    db: Database, fake: XtreamFake, xservice: SourceService, xengine: SyncEngine
) -> None:
    await add_panel(xservice, fake)
    await xengine.sync("panel")
    children = ChildrenSync(xengine)
    shows = sorted(r.id for r in items(db).values() if r.type == "show")
    opened = []
    for show_id in shows:
        res = await children.sync_children("panel", show_id)
        if res.added:
            opened.append(show_id)
    assert opened, "no series had episodes"
    assert counts(db).get("episode", 0) > 0
    fake.reset_log()
    touched = fake.catalog.touch_series(2)
    result = await xengine.sync("panel")
    assert result.updated.get("show") == len(touched)
    refreshed = await children.refresh_changed("panel", result.changed_parents)
    assert refreshed == len(touched)
    assert len(fake.calls("get_series_info")) == len(touched)
    assert await children.refresh_changed("panel", []) == 0


async def test_items_changed_per_chunk(
    db: Database, fake: XtreamFake, xservice: SourceService, xengine: SyncEngine
) -> None:
    await add_panel(xservice, fake)
    seen: list[ItemsChanged] = []
    publish = xengine.bus.publish

    def spy(event: Event) -> None:
        if isinstance(event, ItemsChanged):
            seen.append(event)
        publish(event)

    xengine.bus.publish = spy  # type: ignore[method-assign]
    result = await xengine.sync("panel")
    total = sum(result.added.values())
    sizes = [sum(len(v) for v in e.created.values()) for e in seen]
    assert sum(sizes) == total and max(sizes) <= 25 and len(seen) < total
