"""Watch state changed in Reel reaches Plex and Jellyfin, also after the server was away."""

from __future__ import annotations

from reel.catalog.db import Database
from reel.playback.state import PlaybackService
from reel.playback.writeback import WriteBack
from reel.services.sources import SourceService
from reel.sync.engine import SyncEngine
from tests.e2e_media.conftest import MediaServer, catalog, watch


async def test_write_back_reaches_the_server(
    db: Database, media: MediaServer, service: SourceService, engine: SyncEngine
) -> None:
    await media.add(service)
    assert (await engine.sync("media")).ok
    rows = catalog(db)
    fresh = [m for m in media.ids("movie") if not media.played(m) and not media.position_ms(m)]
    to_watch, to_resume = fresh[0], fresh[1]
    playback, writeback = PlaybackService(db), WriteBack(service)
    user = playback.sync_user_id()

    assert playback.set_watched(user, rows[("movie", to_watch)].id, True).pending_write_back
    duration = rows[("movie", to_resume)].duration_ms
    position = duration // 3
    playback.set_position(user, rows[("movie", to_resume)].id, position, duration)
    result = await writeback.flush()
    assert result.written == {"media": 2} and not result.offline
    assert media.played(to_watch)
    assert abs(media.position_ms(to_resume) - position) < 1000
    assert writeback.pending_count() == 0

    # the next sync brings the server's view back unchanged
    assert (await engine.sync("media")).ok
    assert watch(db)[("movie", to_watch)][0] is True


async def test_changes_made_while_offline_are_sent_when_the_server_returns(
    db: Database, media: MediaServer, service: SourceService, engine: SyncEngine
) -> None:
    await media.add(service)
    assert (await engine.sync("media")).ok
    rows = catalog(db)
    watched = next(m for m in media.ids("movie") if media.played(m))
    playback, writeback = PlaybackService(db), WriteBack(service)
    user = playback.sync_user_id()

    media.down()
    playback.set_watched(user, rows[("movie", watched)].id, False)
    first = await writeback.flush()
    assert first.offline == ["media"] and writeback.pending_count() == 1
    assert media.played(watched)  # the server has not heard of it yet
    # a sync while the server is away fails and leaves the local change alone
    assert (await engine.sync("media")).source_status == "offline"
    assert watch(db)[("movie", watched)][0] is False

    media.up()
    # the server still says "watched"; a sync must not overwrite the pending change
    assert (await engine.sync("media")).ok
    assert watch(db)[("movie", watched)][0] is False
    second = await writeback.flush()
    assert second.written == {"media": 1} and writeback.pending_count() == 0
    assert not media.played(watched)
    assert (await engine.sync("media")).ok
    assert watch(db)[("movie", watched)][0] is False
