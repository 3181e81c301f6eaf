"""Big Plex sections are decoded and converted by a worker process on a full sync: the
catalog and the bookkeeping it saves (counts, watermarks, watch maps) are the ones
in-process conversion produces, and a worker that cannot start or dies only costs speed."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from reel.catalog.db import Database
from reel.catalog.secrets import SecretBox
from reel.events.bus import EventBus
from reel.services.sources import SourceService
from reel.sources import worker
from reel.sources.base import SourceConfig
from reel.sources.http import RetryPolicy
from reel.sources.plex import offload
from reel.sources.plex.adapter import PlexAdapter
from reel.sync.engine import SyncEngine
from reel.testing.fakes.plex import FakePlex, FakePlexConfig, build
from reel.testing.server import free_port, serve_in_thread

FAST = RetryPolicy(attempts=2, base_delay=0.0, max_delay=0.0)
IGNORED = ("id", "source_id", "library_id", "parent_id", "created_at", "modified_at")
Snapshot = tuple[dict[tuple[str, str], Any], dict[tuple[str, str], Any], dict[str, Any]]


@pytest.fixture
def plex() -> Iterator[tuple[FakePlex, str]]:
    """A fake server big enough for several pages of every type, and its URL."""
    fake = build(FakePlexConfig(movies=60, shows=3, seasons=2, episodes=9))
    with serve_in_thread(fake.app, port=free_port()) as url:
        fake.advertise(url)
        yield fake, url


@pytest.fixture
def sqlite_url(tmp_path: Any) -> str:
    return f"sqlite:///{tmp_path}/reel.db"


def make_engine(db: Database) -> SyncEngine:
    def factory(config: SourceConfig) -> PlexAdapter:
        settings = {**config.settings, "page_size": 7}  # many pages, a short last one
        return PlexAdapter(replace(config, settings=settings), retry=FAST)

    service = SourceService(db, SecretBox(Fernet.generate_key()), adapter_factory=factory)
    return SyncEngine(service, EventBus(queue_size=10_000), chunk_size=50)


def snapshot(db: Database) -> Snapshot:
    """Items and watch state by (type, remote id), and the saved sync state, without what
    differs between two loads by design (row ids, times of writing, time of the sweep)."""
    with db.engine.connect() as conn:
        items = conn.execute(text("SELECT * FROM items")).mappings().all()
        plays = conn.execute(
            text(
                "SELECT i.type, i.remote_id, p.played, p.position_ms, p.play_count"
                " FROM playback_state p JOIN items i ON i.id = p.item_id"
            )
        ).all()
        (state,) = conn.execute(text("SELECT sync_state FROM sources")).scalars().all()
    catalog = {
        (r["type"], r["remote_id"]): {k: v for k, v in r.items() if k not in IGNORED} for r in items
    }
    watch = {(p.type, p.remote_id): (bool(p.played), p.position_ms, p.play_count) for p in plays}
    state = json.loads(state) if isinstance(state, str) else state
    return catalog, watch, {k: v for k, v in state.items() if k != "swept_at"}


async def load(db_url: str, plex: tuple[FakePlex, str], tmp: str) -> Snapshot:
    fake, url = plex
    db = Database(db_url.replace("reel.db", f"{tmp}.db"))
    try:
        engine = make_engine(db)
        await engine.sources.add("plex", "plex", {"url": url}, {"token": fake.config.token})
        result = await engine.sync("plex", full=True)
        assert result.status == "ok", result.error
        return snapshot(db)
    finally:
        db.dispose()


@pytest.fixture
def converted_here(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The item type of every page this process decoded and converted itself."""
    here: list[str] = []
    convert = offload.page_facts

    def counting(container: Any, item_type: str, library_id: str, watch: bool) -> Any:
        here.append(item_type)
        return convert(container, item_type, library_id, watch)

    monkeypatch.setattr(offload, "page_facts", counting)
    return here


async def test_worker_conversion_equals_in_process_conversion(
    sqlite_url: str,
    plex: tuple[FakePlex, str],
    monkeypatch: pytest.MonkeyPatch,
    converted_here: list[str],
) -> None:
    here = await load(sqlite_url, plex, "here")
    pages = {"movie": 9, "show": 1, "season": 1, "episode": 8}  # 60, 3, 6, 54 items by 7
    assert {t: converted_here.count(t) for t in pages} == pages
    started: list[int] = []
    spawn = asyncio.create_subprocess_exec

    async def counting(*args: Any, **kwargs: Any) -> Any:
        started.append(1)
        return await spawn(*args, **kwargs)

    monkeypatch.setattr(offload, "MIN_ENTRIES", 1)
    monkeypatch.setattr(worker.asyncio, "create_subprocess_exec", counting)
    converted_here.clear()
    there = await load(sqlite_url, plex, "there")
    assert started == [1]  # one worker for the whole listing
    assert converted_here == []  # every page went through it
    catalog, watch, state = here
    assert len(catalog) == 60 + 3 + 6 + 54
    assert watch and state["watch"]["movie"] and state["watch"]["episode"]
    assert there == here


async def test_small_sections_stay_in_process(
    sqlite_url: str,
    plex: tuple[FakePlex, str],
    monkeypatch: pytest.MonkeyPatch,
    converted_here: list[str],
) -> None:
    here = await load(sqlite_url, plex, "here")
    monkeypatch.setattr(offload, "MIN_ENTRIES", 55)  # the 60 movies only
    converted_here.clear()
    assert await load(sqlite_url, plex, "there") == here
    assert "movie" not in converted_here
    assert {"show", "season", "episode"} == set(converted_here)


async def test_a_worker_that_dies_leaves_the_rest_to_this_process(
    sqlite_url: str,
    plex: tuple[FakePlex, str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    converted_here: list[str],
) -> None:
    here = await load(sqlite_url, plex, "here")
    # A "worker" that answers the first page properly and then exits.
    script = (
        "import sys; from reel.sources import worker as w; "
        "r = sys.stdin.buffer; o = sys.stdout.buffer; "
        "w.serve(type('One', (), {'read': lambda self, n, c=[0]: "
        "(c.__setitem__(0, c[0] + 1) or r.read(n)) if c[0] < 2 else b''})(), o)"
    )
    spawn = asyncio.create_subprocess_exec

    async def dying(*args: Any, **kwargs: Any) -> Any:
        return await spawn(sys.executable, "-c", script, **kwargs)

    monkeypatch.setattr(offload, "MIN_ENTRIES", 1)
    monkeypatch.setattr(worker.asyncio, "create_subprocess_exec", dying)
    converted_here.clear()
    with caplog.at_level(logging.WARNING, logger="reel.sources.plex.offload"):
        there = await load(sqlite_url, plex, "there")
    assert there == here
    assert "continuing here" in caplog.text
    assert converted_here.count("movie") == 60 // 7  # the worker did one of 9 pages


async def test_a_worker_that_cannot_start_costs_nothing_but_speed(
    sqlite_url: str, plex: tuple[FakePlex, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    here = await load(sqlite_url, plex, "here")

    async def refused(*args: Any, **kwargs: Any) -> Any:
        raise OSError("cannot fork")

    monkeypatch.setattr(offload, "MIN_ENTRIES", 1)
    monkeypatch.setattr(worker.asyncio, "create_subprocess_exec", refused)
    assert await load(sqlite_url, plex, "there") == here
