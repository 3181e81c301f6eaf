"""Watch state per user and the write-back of changes made while a source was offline.

Write-back runs against the fake Jellyfin server: a change made while it is down stays
queued (`pending_write_back`), and reaches the server once it answers again.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from reel.catalog.db import Database
from reel.catalog.models import Item, Source
from reel.catalog.users import resolve_user
from reel.errors import InvalidInput, NotFound
from reel.events.bus import EventBus
from reel.events.types import WatchStateChanged
from reel.playback.state import PlaybackService
from reel.testing.catalog_gen import generate_catalog


@pytest.fixture
def ids(db: Database) -> dict[str, int]:
    generate_catalog(db, 120, seed=1)
    with db.session() as session:
        plex_movie = session.scalar(
            select(Item.id)
            .join(Source, Source.id == Item.source_id)
            .where(Item.type == "movie", Source.kind == "plex", Item.duration_ms.is_not(None))
            .order_by(Item.id)
        )
        local_movie = session.scalar(
            select(Item.id)
            .join(Source, Source.id == Item.source_id)
            .where(Item.type == "movie", Source.kind == "local")
            .order_by(Item.id)
        )
        channel = session.scalar(select(Item.id).where(Item.type == "channel").order_by(Item.id))
        owner = resolve_user(session).id
    assert plex_movie and local_movie and channel
    return {"plex": plex_movie, "local": local_movie, "channel": channel, "owner": owner}


async def test_positions_watched_marks_and_events(db: Database, ids: dict[str, int]) -> None:
    bus = EventBus()
    playback = PlaybackService(db, bus)
    with bus.subscribe(WatchStateChanged) as sub:
        state = playback.set_position(ids["owner"], ids["plex"], 120_000)
        assert state.position_ms == 120_000 and not state.played
        assert state.pending_write_back  # Plex takes write-back; the owner is the sync user
        event = sub.get_nowait()
        assert isinstance(event, WatchStateChanged) and event.item_ids == [ids["plex"]]
    done = playback.set_position(ids["owner"], ids["plex"], 10**9)
    assert done.played and done.play_count == 1 and done.position_ms == 0
    again = playback.set_watched(ids["owner"], ids["plex"], True)
    assert again.play_count == 1  # already watched: not counted twice
    unwatched = playback.set_watched(ids["owner"], ids["plex"], False)
    assert not unwatched.played and unwatched.position_ms == 0
    local = playback.set_position(ids["owner"], ids["local"], 5_000)
    assert not local.pending_write_back  # local sources keep state here
    live = playback.set_position(ids["owner"], ids["channel"], 99_999)
    assert live.position_ms == 0 and live.last_played_at is not None
    with pytest.raises(NotFound):
        playback.get(ids["owner"], 10**12)
    with pytest.raises(InvalidInput):
        playback.set_position(ids["owner"], ids["plex"], -1)


def test_only_the_sync_user_queues_write_back(db: Database, ids: dict[str, int]) -> None:
    from argon2 import PasswordHasher

    from reel.services.auth import AuthService

    auth = AuthService(db, PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    bob = auth.create_user("bob", "password123")
    playback = PlaybackService(db)
    assert not playback.set_position(bob.id, ids["plex"], 1000).pending_write_back
    assert playback.get(ids["owner"], ids["plex"]).position_ms == 0


def test_next_up_and_continue_lists(db: Database, ids: dict[str, int]) -> None:
    from reel.playback.lists import continue_watching, next_up

    playback = PlaybackService(db)
    with db.session() as session:
        episodes = session.execute(
            select(Item.id, Item.parent_id).where(Item.type == "episode").order_by(Item.id).limit(9)
        ).all()
    first, second = episodes[0].id, episodes[1].id
    playback.set_watched(ids["owner"], first, True)
    playback.set_position(ids["owner"], ids["plex"], 60_000)
    with db.session() as session:
        assert [v.id for v in next_up(session, ids["owner"])] == [second]
        assert [v.id for v in continue_watching(session, ids["owner"])] == [ids["plex"]]
    # The last episode of season 1 leads to the first of season 2.
    playback.set_watched(ids["owner"], episodes[7].id, True)
    with db.session() as session:
        (pick,) = next_up(session, ids["owner"])
    assert (pick.season, pick.episode) == (2, 1)


def test_tables_of_the_web_migration_exist(tmp_path: Path) -> None:
    from alembic.script import ScriptDirectory
    from sqlalchemy import inspect

    from reel.catalog import migrate

    fresh = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        heads = ScriptDirectory.from_config(migrate._config(fresh.engine)).get_heads()
        assert len(heads) == 1, f"migrations have several heads: {heads}"
        status = migrate.status(fresh.engine)
        assert status.up_to_date
        tables = set(inspect(fresh.engine).get_table_names())
        assert {"sessions", "api_tokens", "login_attempts"} <= tables
    finally:
        fresh.dispose()
