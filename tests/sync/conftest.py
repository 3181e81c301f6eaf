"""Fixtures for engine tests: the in-memory adapter registered, a service and an engine."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from reel.catalog.db import Database
from reel.catalog.secrets import SecretBox
from reel.events.bus import EventBus
from reel.services.sources import SourceService
from reel.sources import registry
from reel.sync.engine import SyncEngine
from tests.sync import memory

CATALOG_TABLES = ("libraries", "categories", "items", "item_genres", "programmes", "playback_state")
_names = itertools.count()


@pytest.fixture(autouse=True)
def memory_kind(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(registry.ADAPTERS, memory.KIND, memory.MODULE)
    yield
    memory.SCENARIOS.clear()


@pytest.fixture
def service(db: Database) -> SourceService:
    return SourceService(db, SecretBox(Fernet.generate_key()))


@pytest.fixture
def bus() -> EventBus:
    return EventBus(queue_size=10_000)


@pytest.fixture
def engine(service: SourceService, bus: EventBus) -> SyncEngine:
    return SyncEngine(service, bus, chunk_size=10)


async def add_source(
    service: SourceService, name: str = "demo", **scenario: Any
) -> memory.Scenario:
    """Register a scenario and add a memory source serving it."""
    key = f"sc{next(_names)}"
    sc = memory.Scenario(**scenario)
    if not sc.pages:
        sc.pages = memory.catalog()
    memory.SCENARIOS[key] = sc
    await service.add(memory.KIND, name, {"scenario": key}, {"password": "secret"})
    return sc


def dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every catalog row, ordered: two dumps are equal iff the catalog is unchanged."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with db.engine.connect() as conn:
        for table in CATALOG_TABLES:
            rows = conn.execute(text(f"SELECT * FROM {table}")).all()
            out[table] = sorted(tuple(str(v) for v in r) for r in rows)
        if db.dialect == "sqlite":
            conn.execute(text("INSERT INTO items_fts(items_fts) VALUES ('integrity-check')"))
            out["fts"] = sorted(
                tuple(r) for r in conn.execute(text("SELECT term, doc FROM items_fts_vocab"))
            )
    return out


def items(db: Database, source: str | None = None) -> dict[tuple[str, str], Any]:
    """(type, remote_id) → row of every item (of one source)."""
    sql = "SELECT i.* FROM items i JOIN sources s ON s.id = i.source_id"
    params: dict[str, Any] = {}
    if source:
        sql += " WHERE s.name = :name"
        params["name"] = source
    with db.engine.connect() as conn:
        return {(r.type, r.remote_id): r for r in conn.execute(text(sql), params)}
