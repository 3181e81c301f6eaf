"""Full and incremental syncs of Plex and Jellyfin into the catalog, with the real engine."""

from __future__ import annotations

from reel.catalog.db import Database
from reel.services.sources import SourceService
from reel.sync.engine import SyncEngine
from tests.e2e_media.conftest import SIZES, MediaServer, catalog, dump, source_state, watch

EPISODES = SIZES["shows"] * SIZES["seasons"] * SIZES["episodes"]
TOTALS = {
    "movie": SIZES["movies"],
    "show": SIZES["shows"],
    "season": SIZES["shows"] * SIZES["seasons"],
    "episode": EPISODES,
}


async def _synced(media: MediaServer, service: SourceService, engine: SyncEngine) -> None:
    await media.add(service)
    result = await engine.sync("media")
    assert result.status == "ok", result.error
    assert result.kind == "full"


async def test_full_sync_mirrors_the_server(
    db: Database, media: MediaServer, service: SourceService, engine: SyncEngine
) -> None:
    await media.add(service)
    result = await engine.sync("media")
    assert result.status == "ok", result.error
    assert result.added == TOTALS
    rows = catalog(db)
    for item_type in TOTALS:
        assert sorted(k[1] for k in rows if k[0] == item_type) == sorted(media.ids(item_type))
    # episodes hang under their season, seasons under their show
    by_id = {r.id: r for r in rows.values()}
    for (item_type, _), row in rows.items():
        if item_type == "episode":
            season = by_id[row.parent_id]
            assert season.type == "season" and by_id[season.parent_id].type == "show"
            assert row.season == season.season and row.episode is not None
    movie = rows[("movie", media.ids("movie")[0])]
    assert movie.tmdb_id and movie.title and movie.duration_ms
    # watch state: exactly the server's watched items are played here
    played_here = {k[1] for k, v in watch(db).items() if v[0]}
    played_there = {i for t in ("movie", "episode") for i in media.ids(t) if media.played(i)}
    assert played_here == played_there and played_here
    assert source_state(db) == ("ok", None)
    assert service.get("media").counts == TOTALS


async def test_no_change_incremental_writes_nothing(
    db: Database, media: MediaServer, service: SourceService, engine: SyncEngine
) -> None:
    await _synced(media, service, engine)
    before = dump(db)
    result = await engine.sync("media")
    assert result.status == "ok" and result.kind == "incremental"
    assert (result.added, result.updated, result.removed) == ({}, {}, {})
    assert dump(db) == before


async def test_one_percent_change_is_applied(
    db: Database, media: MediaServer, service: SourceService, engine: SyncEngine
) -> None:
    await _synced(media, service, engine)
    changed = media.ids("movie")[37:38]  # 1% of the movies
    media.change_metadata(changed)
    result = await engine.sync("media")
    assert result.status == "ok" and result.kind == "incremental"
    assert result.updated == {"movie": 1} and result.added == {} and result.removed == {}
    assert "(edited)" in catalog(db)[("movie", changed[0])].title


async def test_watch_state_changed_on_the_server_is_picked_up(
    db: Database, media: MediaServer, service: SourceService, engine: SyncEngine
) -> None:
    await _synced(media, service, engine)
    movies = media.ids("movie")
    newly = next(m for m in movies if not media.played(m) and not media.position_ms(m))
    unwatched = next(m for m in movies if media.played(m))
    episode = next(e for e in media.ids("episode") if not media.played(e))
    media.set_played([newly, episode], True)
    media.set_played([unwatched], False)
    before = watch(db)
    assert before[("movie", unwatched)][0] is True and ("movie", newly) not in before

    result = await engine.sync("media")
    assert result.status == "ok" and result.kind == "incremental"
    after = watch(db)
    assert after[("movie", newly)][0] is True and after[("movie", newly)][2] >= 1
    assert after[("episode", episode)][0] is True
    assert after[("movie", unwatched)][0] is False  # unwatched elsewhere: detected
    # nothing else moved
    untouched = {k: v for k, v in after.items() if k[1] not in (newly, unwatched, episode)}
    assert untouched == {k: v for k, v in before.items() if k in untouched}


async def test_deletions_only_after_a_complete_listing(
    db: Database, media: MediaServer, service: SourceService, engine: SyncEngine
) -> None:
    await _synced(media, service, engine)
    gone = media.ids("movie")[5:7]
    media.delete(gone)
    # the listing breaks part-way (the id listings fail), the sync fails: nothing deleted
    media.fail("/library/sections/1" if media.kind == "plex" else "/items")
    failed = await engine.sync("media")
    assert failed.status == "failed"
    assert all(("movie", g) in catalog(db) for g in gone)
    media.up()
    result = await engine.sync("media")
    assert result.status == "ok", result.error
    assert result.removed == {"movie": 2}
    assert not any(("movie", g) in catalog(db) for g in gone)
    assert len(catalog(db)) == sum(TOTALS.values()) - 2


async def test_revoked_token_needs_sign_in_and_keeps_the_catalog(
    db: Database, media: MediaServer, service: SourceService, engine: SyncEngine
) -> None:
    await _synced(media, service, engine)
    before = dump(db)
    media.revoke()
    result = await engine.sync("media")
    assert result.status == "failed" and result.source_status == "needs_sign_in"
    status, error = source_state(db)
    assert status == "needs_sign_in" and error and "sign in" in error.lower()
    assert dump(db) == before
    tested = await service.test("media")
    assert tested.reachable and not tested.authenticated
    assert source_state(db)[0] == "needs_sign_in"
    assert dump(db) == before


async def test_server_down_is_offline_and_keeps_the_catalog(
    db: Database, media: MediaServer, service: SourceService, engine: SyncEngine
) -> None:
    await _synced(media, service, engine)
    before = dump(db)
    media.down()
    result = await engine.sync("media")
    assert result.status == "failed" and result.source_status == "offline"
    assert source_state(db)[0] == "offline"
    assert dump(db) == before
    tested = await service.test("media")
    assert not tested.reachable and source_state(db)[0] == "offline"
    media.up()
    tested = await service.test("media")
    assert tested.reachable and tested.authenticated
    assert source_state(db) == ("ok", None)
    again = await engine.sync("media")
    assert again.status == "ok" and (again.added, again.removed) == ({}, {})
