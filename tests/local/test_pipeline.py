"""Scan → identify → enrich end to end, on SQLite and PostgreSQL, against the fake TMDB."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import text

from reel.catalog.db import Database
from reel.catalog.details import details
from reel.config import Settings
from reel.metadata import edits
from reel.metadata.hooks import after_sync
from reel.metadata.identify import Identifier
from reel.playback.state import PlaybackService
from reel.services.sources import SourceService
from reel.sync.engine import SyncEngine
from reel.testing.fakes.tmdb import FakeTmdbState
from reel.testing.titles import build_world
from tests.local.conftest import FAST, TMDB, add_local, one, rows, touch

WORLD = build_world(TMDB.seed, TMDB.movies, TMDB.shows)
ALIEN = next(m for m in WORLD.movies if m.title == "Alien")
HEAT = next(m for m in WORLD.movies if m.title == "Heat")
OFFICE = next(s for s in WORLD.shows if s.name == "The Office" and s.year == 2005)


def status_of(db: Database, item_id: int) -> str | None:
    with db.session() as session:
        return details(session, item_id).status


async def test_scan_identify_enrich(
    db: Database, service: SourceService, engine: SyncEngine, media: Path,
    identifier: Identifier, settings: Settings,
) -> None:  # fmt: skip
    touch(media, "Alien (1979)/Alien (1979).mkv")
    touch(media, "Heat.1995.1080p.BluRay.x264-GRP.mkv")
    touch(media, "Unknown Picture Nobody Made (1911).mkv")
    ep = OFFICE.seasons[-1].episodes[0]
    season = OFFICE.seasons[-1].number
    touch(media, f"The Office (2005)/Season {season}/The Office (2005) - S{season:02d}E01.mkv")
    await add_local(service, media)
    result = await engine.sync("nas")
    assert result.ok, result.error
    alien = one(db, "type = 'movie' AND title = 'Alien'")
    assert status_of(db, alien.id) == "unidentified"
    (report,) = await identifier.run("nas")
    assert report.error is None and report.identified == 3, report.to_json()
    with db.session() as session:
        view = details(session, alien.id)
    assert view.status == "enriched" and view.ids["tmdb"] == str(ALIEN.id)
    assert view.path == str(media / "Alien (1979)/Alien (1979).mkv")
    assert (
        view.genres and view.overview and view.artwork["poster"].startswith(settings.tmdb_image_url)
    )
    heat = one(db, "type = 'movie' AND year = 1995")
    assert heat.tmdb_id == str(HEAT.id) and heat.extra["status"] == "enriched"
    unknown = one(db, "type = 'movie' AND year = 1911")
    assert unknown.extra["status"] == "unidentified" and unknown.tmdb_id is None
    episode = one(db, "type = 'episode'")
    assert episode.title == ep.name and episode.extra["status"] == "enriched"
    show = one(db, "type = 'show'")
    assert show.tmdb_id == str(OFFICE.id) and show.tvdb_id == str(OFFICE.tvdb_id)
    with db.engine.connect() as conn:
        assets = conn.execute(text("SELECT count(*) FROM assets")).scalar_one()
        refs = conn.execute(text("SELECT count(*) FROM asset_refs")).scalar_one()
        files = conn.execute(text("SELECT count(*) FROM local_files")).scalar_one()
        cached = conn.execute(text("SELECT count(*) FROM metadata_cache")).scalar_one()
    assert assets >= 4 and refs >= assets and files == 4 and cached > 0
    # A second run asks TMDB nothing: everything is cached or done.
    sent = identifier.provider.client.requests_sent if identifier.provider else 0
    await engine.sync("nas")
    (again,) = await identifier.run("nas", refresh=True)
    assert again.enriched >= 3
    assert identifier.provider is not None and identifier.provider.client.requests_sent == sent


async def test_handwritten_nfo_respected_and_never_overwritten(
    db: Database, service: SourceService, engine: SyncEngine, media: Path,
    identifier: Identifier,
) -> None:  # fmt: skip
    touch(media, "Alien (1979)/Alien (1979).mkv")
    nfo = touch(media, "Alien (1979)/movie.nfo", (
        "<movie><title>Alien — My Cut</title><plot>Mine.</plot>"
        f'<uniqueid type="tmdb">{ALIEN.id}</uniqueid></movie>'
    ).encode())  # fmt: skip
    original = nfo.read_bytes()
    touch(media, "Heat (1995)/Heat (1995).mkv")
    await add_local(service, media, write_nfo=True, write_artwork=True)
    await engine.sync("nas")
    (report,) = await identifier.run("nas")
    alien = one(db, "type = 'movie' AND tmdb_id = :t", t=str(ALIEN.id))
    assert alien.title == "Alien — My Cut" and alien.overview == "Mine."
    assert alien.extra["status"] == "enriched" and alien.genres  # provider filled the rest
    assert nfo.read_bytes() == original
    assert not (media / "Alien (1979)/Alien (1979).nfo").exists()
    written = media / "Heat (1995)/Heat (1995).nfo"
    assert written.exists() and b"<title>Heat</title>" in written.read_bytes()
    assert (media / "Heat (1995)/Heat (1995)-poster.png").exists()
    assert report.files.get("kept-handwritten") == 1
    # A person edits Reel's NFO: from then on it is theirs.
    edited = written.read_bytes().replace(b"<title>Heat</title>", b"<title>Heat!</title>")
    written.write_bytes(edited)
    await engine.sync("nas")
    await identifier.run("nas", refresh=True)
    assert written.read_bytes() == edited
    assert one(db, "type = 'movie' AND year = 1995").title == "Heat!"


async def test_locks_survive_refresh_rescan_and_rename(
    db: Database, service: SourceService, engine: SyncEngine, media: Path,
    identifier: Identifier,
) -> None:  # fmt: skip
    path = touch(media, "Alien (1979)/Alien (1979).mkv")
    await add_local(service, media)
    await engine.sync("nas")
    await identifier.run("nas")
    item = one(db, "type = 'movie'")
    edits.set_field(db, item.id, "title", "My Alien")
    edits.set_field(db, item.id, "genres", "Horror, Favourites")
    playback = PlaybackService(db)
    user = playback.sync_user_id()
    playback.set_position(user, item.id, 60_000)
    await identifier.run("nas", refresh=True)
    assert one(db, "type = 'movie'").title == "My Alien"
    # Rename and move the file: same item, same watch state, same locks.
    moved = media / "Sci-Fi" / "Alien.1979.Remastered.1080p.mkv"
    moved.parent.mkdir()
    path.rename(moved)
    result = await engine.sync("nas")
    assert result.ok and result.removed == {}, result.to_json()
    await after_sync(db, identifier.settings, "nas", identifier)
    row = one(db, "type = 'movie'")
    assert row.id == item.id and row.title == "My Alien" and row.extra["path"] == str(moved)
    assert row.genres == ["Horror", "Favourites"] and row.tmdb_id == str(ALIEN.id)
    assert playback.get(user, item.id).position_ms == 60_000
    with db.engine.connect() as conn:
        genres = conn.execute(text("SELECT genre FROM item_genres WHERE item_id = :i"),
                              {"i": item.id}).scalars().all()  # fmt: skip
        found = conn.execute(
            text("SELECT count(*) FROM items_fts WHERE items_fts MATCH 'my'") if db.dialect ==
            "sqlite" else text("SELECT count(*) FROM items WHERE search_title LIKE 'my alien%'")
        ).scalar_one()  # fmt: skip
    assert sorted(genres) == ["Favourites", "Horror"] and found == 1
    assert edits.unlock(db, item.id, "title")
    assert one(db, "type = 'movie'").title == "Alien"
    await engine.sync("nas")
    await after_sync(db, identifier.settings, "nas", identifier)
    row = one(db, "type = 'movie'")
    assert row.title == "Alien" and row.genres == ["Horror", "Favourites"]


async def test_offline_mount_deletes_nothing(
    db: Database, service: SourceService, engine: SyncEngine, tmp_path: Path,
) -> None:  # fmt: skip
    root = tmp_path / "nas"
    touch(root, "Alien (1979).mkv")
    touch(root, "Show/Season 1/Show - S01E01.mkv")
    await add_local(service, root)
    assert (await engine.sync("nas")).ok
    before = [(r.id, r.title) for r in rows(db)]
    for f in root.rglob("*.mkv"):
        f.unlink()
    for d in sorted(root.rglob("*"), reverse=True):
        d.rmdir()
    root.rmdir()
    result = await engine.sync("nas")
    assert result.status == "failed" and "not reachable" in (result.error or "")
    assert [(r.id, r.title) for r in rows(db)] == before
    assert service.get("nas").status == "offline"
    root.mkdir()  # an empty mount point where files were: still offline
    result = await engine.sync("nas")
    assert result.status == "failed" and [(r.id, r.title) for r in rows(db)] == before


async def test_no_network_leaves_items_and_retries_later(
    db: Database, service: SourceService, engine: SyncEngine, media: Path,
    settings: Settings, identifier: Identifier,
) -> None:  # fmt: skip
    touch(media, "Alien (1979)/Alien (1979).mkv")
    await add_local(service, media)
    await engine.sync("nas")
    dead = Settings(
        data_dir=settings.data_dir,
        tmdb_api_key="k",
        tmdb_api_url="http://127.0.0.1:9/3",
        tmdb_image_url="http://127.0.0.1:9/t/p",
    )
    offline = Identifier(db, dead, retry=FAST)
    (report,) = await offline.run("nas")
    await offline.aclose()
    assert report.offline and report.identified == 0
    item = one(db, "type = 'movie'")
    assert item.extra["status"] == "unidentified" and item.title == "Alien"
    (report,) = await identifier.run("nas")
    assert report.identified == 1 and one(db, "type = 'movie'").extra["status"] == "enriched"


async def test_429_is_honoured(
    db: Database, service: SourceService, engine: SyncEngine, media: Path,
    identifier: Identifier, tmdb_state: FakeTmdbState,
) -> None:  # fmt: skip
    touch(media, "Alien (1979)/Alien (1979).mkv")
    await add_local(service, media)
    await engine.sync("nas")
    tmdb_state.retry_after = 1
    tmdb_state.throttle_next = 1
    started = time.monotonic()
    (report,) = await identifier.run("nas")
    assert report.error is None and report.identified == 1
    assert time.monotonic() - started >= 0.9  # waited as Retry-After said
    assert tmdb_state.throttle_next == 0


async def test_manual_match_is_locked(
    db: Database, service: SourceService, engine: SyncEngine, media: Path,
    identifier: Identifier,
) -> None:  # fmt: skip
    touch(media, "The Thing/The Thing.mkv")  # no year: three films fit
    await add_local(service, media)
    await engine.sync("nas")
    await identifier.run("nas")
    item = one(db, "type = 'movie'")
    state = edits.candidates(db, item.id)
    assert state["status"] == "unidentified" and len(state["candidates"]) >= 3
    assert item.extra["candidates"]
    remake = next(m for m in WORLD.movies if m.title == "The Thing" and m.year == 1982)
    await edits.match(identifier, item.id, remake.id)
    row = one(db, "type = 'movie'")
    assert row.tmdb_id == str(remake.id) and row.year == 1982
    assert row.extra["status"] == "enriched" and "tmdb_id" in row.extra["locked"]
    await engine.sync("nas", full=True)
    await identifier.run("nas", refresh=True)
    assert one(db, "type = 'movie'").tmdb_id == str(remake.id)
