"""End to end: the M3U adapter against the fake playlist server, through the engine, on
both databases. Playlist and guide faults must leave the catalog exactly as it was; a
guide the playlist merely advertises may fail without failing the sync, and then the
programmes stay as they were."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.orm import Session

from reel.catalog.db import Database
from reel.catalog.search import SearchQuery, search
from reel.catalog.secrets import SecretBox
from reel.events.bus import EventBus
from reel.services.sources import SourceService
from reel.sources.base import SourceConfig
from reel.sources.http import RetryPolicy
from reel.sources.m3u.adapter import M3uAdapter
from reel.sync.engine import PROGRAMME_KEEP, SyncEngine
from reel.testing.fakes.m3u import FakeM3u, FakeM3uConfig
from reel.testing.server import serve_in_thread
from tests.sync.conftest import dump, items

FAST = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02)
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


@pytest.fixture
def served() -> Iterator[tuple[FakeM3u, str]]:
    # 40 programmes of 30-90 min from 30 h ago: the older ones are past the keep window
    config = FakeM3uConfig(
        channels=24,
        vod=5,
        series=2,
        programmes_per_channel=40,
        guide_start=NOW - timedelta(hours=30),
    )
    fake = FakeM3u(config)
    with serve_in_thread(fake.app) as url:
        yield fake, url


@pytest.fixture
def mservice(db: Database) -> SourceService:
    def factory(config: SourceConfig) -> M3uAdapter:
        return M3uAdapter(config, retry=FAST)

    return SourceService(db, SecretBox(Fernet.generate_key()), adapter_factory=factory)


@pytest.fixture
def mengine(mservice: SourceService) -> SyncEngine:
    return SyncEngine(mservice, EventBus(queue_size=10_000), chunk_size=16)


async def add_m3u(service: SourceService, base: str, epg: str | None = None) -> None:
    settings = {"url": f"{base}/playlist.m3u"}
    if epg is not None:
        settings["epg"] = epg
    await service.add("m3u", "iptv", settings, {})


def programmes(db: Database) -> list[tuple[str, str, datetime]]:
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT channel_key, title, stop FROM programmes"))
        return sorted((r[0], r[1], _aware(r[2])) for r in rows)


def _aware(value: object) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def channels(fake: FakeM3u) -> int:
    return len(fake.channels)


async def test_playlist_and_guide(
    db: Database, served: tuple[FakeM3u, str], mservice: SourceService, mengine: SyncEngine
) -> None:
    fake, base = served
    await add_m3u(mservice, base, epg=f"{base}/epg.xml.gz")
    result = await mengine.sync("iptv")
    assert result.status == "ok", result.error
    stored = items(db)
    types = {t for t, _ in stored}
    assert types == {"channel", "movie", "show", "season", "episode"}
    assert sum(1 for t, _ in stored if t == "channel") == channels(fake)
    assert sum(1 for t, _ in stored if t == "movie") == 5
    assert sum(1 for t, _ in stored if t == "episode") == 2 * 2 * 3
    assert result.added["channel"] == channels(fake)
    # every programme belongs to a channel of the playlist, none is past the keep window
    guide = programmes(db)
    epg_ids = {r.epg_id for (t, _), r in stored.items() if t == "channel" and r.epg_id}
    assert guide and {key for key, _, _ in guide} <= epg_ids
    cutoff = datetime.now(UTC) - PROGRAMME_KEEP
    assert all(stop >= cutoff - timedelta(minutes=5) for _, _, stop in guide)
    produced = sum(1 for e in fake.channels for p in fake.programmes(e) if not p[3])
    assert len(guide) < produced  # the old ones were pruned on the way in
    # and the titles are searchable
    title = next(r.title for (t, _), r in stored.items() if t == "movie")
    with db.engine.connect() as conn:
        found = search(Session(bind=conn), SearchQuery(text=title, types=("movie",)))
    assert title in [hit.title for hit in found.items]
    # nothing changed: nothing written, the guide replaced by the same guide
    again = await mengine.sync("iptv")
    assert again.ok and not again.added and not again.updated and not again.removed
    assert programmes(db) == guide


async def test_incremental_add_remove_rename_regroup(
    db: Database, served: tuple[FakeM3u, str], mservice: SourceService, mengine: SyncEngine
) -> None:
    fake, base = served
    await add_m3u(mservice, base)
    assert (await mengine.sync("iptv")).ok
    before = items(db)
    tv = [e for e in fake.channels if e.tvg_id]
    gone, renamed, moved = tv[0], tv[1], tv[2]
    fake.remove(gone.id)
    fake.rename(renamed.id, "Brand New Name")
    fake.regroup(moved.id, "Totally New Group")
    fake.add_channels(1)
    result = await mengine.sync("iptv")
    assert result.ok, result.error
    assert result.removed == {"channel": 1}
    assert result.updated == {"channel": 2}
    assert result.added == {"channel": 1}
    after = items(db)
    assert len(after) == len(before)
    titles = {r.title for r in after.values()}
    assert "Brand New Name" in titles
    with db.engine.connect() as conn:
        groups = set(conn.execute(text("SELECT name FROM categories")).scalars())
    assert "Totally New Group" in groups
    moved_row = next(r for r in after.values() if r.epg_id == moved.tvg_id)
    renamed_row = next(r for r in after.values() if r.epg_id == renamed.tvg_id)
    assert moved_row.id == before[("channel", _remote(before, moved.tvg_id))].id  # same item
    assert renamed_row.id == before[("channel", _remote(before, renamed.tvg_id))].id
    assert not any(r.epg_id == gone.tvg_id for r in after.values())


def _remote(rows: dict[tuple[str, str], object], epg_id: str) -> str:
    return next(rid for (t, rid), r in rows.items() if getattr(r, "epg_id", None) == epg_id)


@pytest.mark.parametrize("fault", ["5xx", "truncated", "reset", "html", "empty", "auth"])
async def test_playlist_faults_change_nothing(
    db: Database,
    served: tuple[FakeM3u, str],
    mservice: SourceService,
    mengine: SyncEngine,
    fault: str,
) -> None:
    fake, base = served
    await add_m3u(mservice, base)
    assert (await mengine.sync("iptv")).ok
    snapshot = dump(db)
    fake.remove(fake.channels[0].id)
    fake.faults.mode, fake.faults.only = fault, "playlist"
    result = await mengine.sync("iptv")
    assert result.status == "failed"
    assert result.error
    assert dump(db) == snapshot


@pytest.mark.parametrize("fault", ["5xx", "truncated", "html"])
async def test_configured_guide_must_load(
    db: Database,
    served: tuple[FakeM3u, str],
    mservice: SourceService,
    mengine: SyncEngine,
    fault: str,
) -> None:
    fake, base = served
    await add_m3u(mservice, base, epg=f"{base}/epg.xml")
    assert (await mengine.sync("iptv")).ok
    snapshot = dump(db)
    fake.rename(fake.channels[0].id, "Renamed Before The Guide Broke")
    fake.faults.mode, fake.faults.only = fault, "guide"
    result = await mengine.sync("iptv")
    assert result.status == "failed" and result.error
    assert dump(db) == snapshot  # the rename went back with everything else


@pytest.mark.parametrize("fault", ["5xx", "truncated", "reset"])
async def test_advertised_guide_failing_keeps_the_old_programmes(
    db: Database,
    served: tuple[FakeM3u, str],
    mservice: SourceService,
    mengine: SyncEngine,
    fault: str,
) -> None:
    fake, base = served
    await add_m3u(mservice, base)  # no --epg: the playlist's url-tvg is used
    assert (await mengine.sync("iptv")).ok
    guide = programmes(db)
    assert guide
    fake.rename(fake.channels[0].id, "Renamed While The Guide Is Down")
    fake.faults.mode, fake.faults.only = fault, "guide"
    result = await mengine.sync("iptv")
    assert result.ok, result.error
    assert result.updated == {"channel": 1}  # the playlist part is kept
    assert programmes(db) == guide  # a broken or partial guide replaces nothing
    fake.faults.mode = None
    fake.add_channels(1)
    assert (await mengine.sync("iptv")).ok
    assert len(programmes(db)) > len(guide)  # a whole guide replaces it again
