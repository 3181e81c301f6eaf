"""Changes made while a Jellyfin server is unreachable are queued and written back later."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from reel.catalog.db import Database
from reel.catalog.models import Item, PlaybackState
from reel.catalog.secrets import SecretBox
from reel.catalog.users import resolve_user
from reel.playback.state import PlaybackService
from reel.playback.writeback import WriteBack
from reel.services.sources import SourceService
from reel.sources.base import SourceAdapter, SourceConfig
from reel.sources.http import RetryPolicy
from reel.sources.jellyfin.adapter import JellyfinAdapter
from reel.sync.engine import SyncEngine
from reel.testing.fakes.jellyfin import FakeJellyfin, FakeJellyfinConfig
from reel.testing.server import free_port, serve_in_thread

FAST = RetryPolicy(attempts=2, base_delay=0.0, max_delay=0.0)


async def test_offline_changes_are_written_back_when_the_server_returns(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeJellyfin(FakeJellyfinConfig(movies=6, shows=1, seasons=1, episodes=2))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    sources = SourceService(db, SecretBox.from_file(tmp_path / "key"))

    def fast_adapter(config: SourceConfig) -> SourceAdapter:
        return JellyfinAdapter(config, retry=FAST)

    monkeypatch.setattr(sources, "adapter", fast_adapter)
    creds = {"username": fake.config.username, "password": fake.config.password}
    with serve_in_thread(fake.app, port):
        await sources.add("jellyfin", "home", {"url": url}, creds)
        assert (await SyncEngine(sources).sync("home")).ok
    with db.session() as session:
        owner = resolve_user(session).id
        movie_id, remote_id = session.execute(
            select(Item.id, Item.remote_id)
            .outerjoin(PlaybackState, PlaybackState.item_id == Item.id)
            .where(Item.type == "movie", PlaybackState.item_id.is_(None))
            .order_by(Item.id)
        ).first()  # type: ignore[misc]
    playback = PlaybackService(db)
    writeback = WriteBack(sources)
    server_state = fake.data.data_for(fake.owner.id, remote_id)
    assert not server_state.played

    # The server is down (nothing listens on its port).
    state = playback.set_watched(owner, movie_id, True)
    assert state.pending_write_back
    first = await writeback.flush()
    assert first.offline == ["home"] and first.written == {"home": 0}
    assert playback.get(owner, movie_id).pending_write_back
    assert not fake.data.data_for(fake.owner.id, remote_id).played

    with serve_in_thread(fake.app, port):  # back online
        second = await writeback.flush()
        assert second.written == {"home": 1} and not second.offline
        assert fake.data.data_for(fake.owner.id, remote_id).played
        assert not playback.get(owner, movie_id).pending_write_back
        assert writeback.pending_count() == 0
        # A sync after the write-back keeps the local state (the server now agrees).
        assert (await SyncEngine(sources).sync("home")).ok
    with db.session() as session:
        row = session.get(PlaybackState, (owner, movie_id))
        assert row is not None and row.played
