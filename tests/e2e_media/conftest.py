"""Plex and Jellyfin end to end: a fake server on loopback, the source service, the engine,
the catalog on SQLite and PostgreSQL.

`media` is parametrised over both kinds; each test drives the server through `MediaServer`
(what someone does on another device or the admin does on the server), so the same test
checks both adapters with the real engine in between.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any, ClassVar

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from reel.catalog.db import Database
from reel.catalog.secrets import SecretBox
from reel.events.bus import EventBus
from reel.services.sources import SourceService
from reel.sources.base import SourceAdapter, SourceConfig
from reel.sources.http import RetryPolicy
from reel.sources.jellyfin.adapter import JellyfinAdapter
from reel.sources.plex.adapter import PlexAdapter
from reel.sources.registry import create_adapter
from reel.sync.engine import SyncEngine
from reel.testing.fakes.jellyfin import FakeJellyfin, FakeJellyfinConfig
from reel.testing.fakes.plex import FakePlex, FakePlexConfig, build
from reel.testing.server import free_port, serve_in_thread

FAST = RetryPolicy(attempts=2, base_delay=0.0, max_delay=0.0)
NAME = "media"
# 100 movies so that "1%" is one movie; small shows so a sync stays well under a second.
SIZES: dict[str, Any] = {"movies": 100, "shows": 2, "seasons": 2, "episodes": 3}


class MediaServer(abc.ABC):
    """One fake server and what happens to it while Reel is not looking."""

    kind: str
    url: str

    def __init__(self, app: Any) -> None:
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._serving: ExitStack | None = None

    def start(self) -> None:
        stack = ExitStack()
        stack.enter_context(serve_in_thread(self.app, port=self.port))
        self._serving = stack

    def down(self) -> None:
        """The server goes away: nothing listens on its port any more."""
        if self._serving is not None:
            self._serving.close()
            self._serving = None

    def up(self) -> None:
        """Back on the same address."""
        self.clear_faults()
        if self._serving is None:
            self.start()

    @abc.abstractmethod
    async def add(self, service: SourceService, name: str = NAME) -> None: ...

    @abc.abstractmethod
    def ids(self, item_type: str) -> list[str]: ...

    @abc.abstractmethod
    def change_metadata(self, ids: list[str]) -> None: ...

    @abc.abstractmethod
    def set_played(self, ids: list[str], played: bool) -> None: ...

    @abc.abstractmethod
    def played(self, remote_id: str) -> bool: ...

    @abc.abstractmethod
    def position_ms(self, remote_id: str) -> int: ...

    @abc.abstractmethod
    def delete(self, ids: list[str]) -> None: ...

    @abc.abstractmethod
    def revoke(self) -> None: ...

    @abc.abstractmethod
    def fail(self, path: str) -> None:
        """Requests under `path` answer 5xx from now on (the rest works)."""

    @abc.abstractmethod
    def clear_faults(self) -> None: ...


class PlexServer(MediaServer):
    kind = "plex"

    def __init__(self, fake: FakePlex) -> None:
        super().__init__(fake.app)
        self.fake, self.lib = fake, fake.library
        fake.advertise(self.url)

    async def add(self, service: SourceService, name: str = NAME) -> None:
        await service.add("plex", name, {"url": self.url}, {"token": self.fake.config.token})

    def ids(self, item_type: str) -> list[str]:
        return [str(k) for k in self.lib.keys_of(item_type)]

    def change_metadata(self, ids: list[str]) -> None:
        self.lib.touch([int(i) for i in ids])

    def set_played(self, ids: list[str], played: bool) -> None:
        for i in ids:
            _ = self.lib.mark_watched(int(i)) if played else self.lib.mark_unwatched(int(i))

    def played(self, remote_id: str) -> bool:
        return self.lib.items[int(remote_id)].view_count > 0

    def position_ms(self, remote_id: str) -> int:
        return self.lib.items[int(remote_id)].view_offset

    def delete(self, ids: list[str]) -> None:
        self.lib.delete([int(i) for i in ids])

    def revoke(self) -> None:
        self.fake.revoke_token()

    def fail(self, path: str) -> None:
        self.fake.faults.set("error", status=503, path_prefix=path)

    def clear_faults(self) -> None:
        self.fake.faults.clear()


class JellyfinServer(MediaServer):
    kind = "jellyfin"
    _KINDS: ClassVar[dict[str, str]] = {
        "movie": "Movie",
        "show": "Series",
        "season": "Season",
        "episode": "Episode",
    }

    def __init__(self, fake: FakeJellyfin) -> None:
        super().__init__(fake.app)
        self.fake, self.data = fake, fake.data

    async def add(self, service: SourceService, name: str = NAME) -> None:
        cfg = self.fake.config
        creds = {"username": cfg.username, "password": cfg.password}
        await service.add("jellyfin", name, {"url": self.url}, creds)

    def ids(self, item_type: str) -> list[str]:
        return self.fake.ids(self._KINDS[item_type])

    def change_metadata(self, ids: list[str]) -> None:
        with self.data.lock:  # what `change_metadata` does, for chosen items
            for i in ids:
                item = self.data.items[i]
                item.name = f"{item.name} (edited)"
                item.overview = "Edited."
                item.date_last_saved = _now()
            self.data.version += 1

    def set_played(self, ids: list[str], played: bool) -> None:
        self.data.set_played(ids, played)

    def played(self, remote_id: str) -> bool:
        return self.data.data_for(self.fake.owner.id, remote_id).played

    def position_ms(self, remote_id: str) -> int:
        return self.data.data_for(self.fake.owner.id, remote_id).position_ticks // 10_000

    def delete(self, ids: list[str]) -> None:
        with self.data.lock:
            for i in ids:
                del self.data.items[i]
            self.data.version += 1

    def revoke(self) -> None:
        self.data.revoke_tokens()

    def fail(self, path: str) -> None:
        self.fake.faults.set("5xx", path=path)

    def clear_faults(self) -> None:
        self.fake.faults.clear()


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


@pytest.fixture(params=["plex", "jellyfin"])
def media(request: pytest.FixtureRequest) -> Iterator[MediaServer]:
    server: MediaServer
    if request.param == "plex":
        server = PlexServer(build(FakePlexConfig(**SIZES)))
    else:
        server = JellyfinServer(FakeJellyfin(FakeJellyfinConfig(**SIZES)))
    server.start()
    try:
        yield server
    finally:
        server.down()


def fast_adapter(config: SourceConfig) -> SourceAdapter:
    """Adapters with quick retries, so "server down" fails in milliseconds."""
    if config.kind == "plex":
        return PlexAdapter(config, retry=FAST)
    if config.kind == "jellyfin":
        return JellyfinAdapter(config, retry=FAST)
    return create_adapter(config)


@pytest.fixture
def service(db: Database) -> SourceService:
    return SourceService(db, SecretBox(Fernet.generate_key()), adapter_factory=fast_adapter)


@pytest.fixture
def engine(service: SourceService) -> SyncEngine:
    return SyncEngine(service, EventBus(queue_size=10_000), chunk_size=50)


def catalog(db: Database, source: str = NAME) -> dict[tuple[str, str], Any]:
    """(type, remote_id) → item row of one source."""
    sql = "SELECT i.* FROM items i JOIN sources s ON s.id = i.source_id WHERE s.name = :n"
    with db.engine.connect() as conn:
        return {(r.type, r.remote_id): r for r in conn.execute(text(sql), {"n": source})}


def watch(db: Database, source: str = NAME) -> dict[tuple[str, str], tuple[bool, int, int]]:
    """(type, remote_id) → (played, position_ms, play_count) of the local watch state."""
    sql = (
        "SELECT i.type, i.remote_id, p.played, p.position_ms, p.play_count FROM playback_state p"
        " JOIN items i ON i.id = p.item_id JOIN sources s ON s.id = i.source_id WHERE s.name = :n"
    )
    with db.engine.connect() as conn:
        return {
            (r.type, r.remote_id): (bool(r.played), int(r.position_ms), int(r.play_count))
            for r in conn.execute(text(sql), {"n": source})
        }


def dump(db: Database) -> dict[str, list[tuple[str, ...]]]:
    """Every catalog row: two equal dumps mean nothing was written."""
    out: dict[str, list[tuple[str, ...]]] = {}
    with db.engine.connect() as conn:
        for table in ("libraries", "items", "item_genres", "playback_state"):
            rows = conn.execute(text(f"SELECT * FROM {table}")).all()
            out[table] = sorted(tuple(str(v) for v in r) for r in rows)
    return out


def source_state(db: Database, source: str = NAME) -> tuple[str, str | None]:
    with db.engine.connect() as conn:
        row = conn.execute(
            text("SELECT status, last_error FROM sources WHERE name = :n"), {"n": source}
        ).one()
    return row.status, row.last_error
