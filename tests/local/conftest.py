"""Fixtures for local-source tests: a media tree, a catalog service, the fake TMDB."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from reel.catalog.db import Database
from reel.catalog.models import Base
from reel.catalog.secrets import SecretBox
from reel.config import Settings
from reel.events.bus import EventBus
from reel.metadata.identify import Identifier
from reel.services.sources import SourceService
from reel.sources.http import RetryPolicy
from reel.sync.engine import SyncEngine
from reel.testing.fakes.tmdb import FakeTmdbConfig, FakeTmdbState, build_app
from reel.testing.server import serve_in_thread

TMDB = FakeTmdbConfig(movies=300, shows=40)
FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05)


def touch(root: Path, rel: str, data: bytes | None = None) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if data is not None else rel.encode() * 3)
    return path


@pytest.fixture
def media(tmp_path: Path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    return root


@pytest.fixture
def service(db: Database) -> SourceService:
    return SourceService(db, SecretBox(Fernet.generate_key()))


@pytest.fixture
def engine(service: SourceService) -> SyncEngine:
    return SyncEngine(service, EventBus(queue_size=10_000))


@pytest.fixture
def tmdb_state() -> FakeTmdbState:
    return FakeTmdbState()


@pytest.fixture
def tmdb_url(tmdb_state: FakeTmdbState) -> Iterator[str]:
    """The fake TMDB served on a loopback port."""
    with serve_in_thread(build_app(TMDB, tmdb_state)) as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, tmdb_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        tmdb_api_key=TMDB.api_key,
        tmdb_api_url=f"{tmdb_url}/3",
        tmdb_image_url=f"{tmdb_url}/t/p",
    )


@pytest.fixture
async def identifier(db: Database, settings: Settings) -> AsyncIterator[Identifier]:
    ident = Identifier(db, settings, retry=FAST)
    yield ident
    await ident.aclose()


def asgi_identifier(db: Database, settings: Settings, state: FakeTmdbState) -> Identifier:
    """An identifier talking to the fake in-process (for the larger sets)."""
    app = build_app(TMDB, state)
    return Identifier(db, settings, retry=FAST, transport=httpx.ASGITransport(app=app))


async def add_local(service: SourceService, root: Path, name: str = "nas", **settings: Any) -> None:
    await service.add("local", name, {"paths": [str(root)], **settings}, {})


def rows(db: Database, where: str = "1=1", **params: Any) -> list[Any]:
    """Item rows matching a SQL condition (JSON columns decoded)."""
    items = Base.metadata.tables["items"]
    query = select(items).where(text(where)).order_by(items.c.id)
    with db.engine.connect() as conn:
        return list(conn.execute(query, params))


def one(db: Database, where: str, **params: Any) -> Any:
    found = rows(db, where, **params)
    assert len(found) == 1, found
    return found[0]
