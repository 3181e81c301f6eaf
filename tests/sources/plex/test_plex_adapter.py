"""The Plex adapter against the fake server: full and incremental listings, watch state,
deletions, write-back, streams, and errors."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from plex_support import collect, make_adapter

from reel.sources.base import ListingContext
from reel.sources.errors import CannotConnect, InvalidAuth
from reel.sources.plex.adapter import PlexAdapter
from reel.sources.plex.client import PlexClient
from reel.sources.plex.freshness import Freshness
from reel.sources.plex.watch import NO_ELEMENTS, WATCH_FIELDS
from reel.sources.records import ListingPage, UserDataRecord
from reel.testing.fakes.plex import FakePlex
from reel.testing.server import free_port


def items_of(pages: list[ListingPage]) -> dict[str, object]:
    return {i.remote_id: i for p in pages for i in p.items}


def user_data_of(pages: list[ListingPage]) -> dict[str, UserDataRecord]:
    return {u.remote_id: u for p in pages for u in p.user_data}


def present_of(pages: list[ListingPage], item_type: str) -> set[str]:
    return {i for p in pages for i in p.present_ids.get(item_type, [])}


async def full_sync(ad: PlexAdapter) -> tuple[list[ListingPage], ListingContext]:
    ctx = ListingContext(full=True)
    return await collect(ad, ctx), ctx


async def test_full_listing_matches_the_server(adapter: PlexAdapter, fake: FakePlex) -> None:
    pages, ctx = await full_sync(adapter)
    libraries = [lib for p in pages for lib in p.libraries]
    assert [(lib.remote_id, lib.kind) for lib in libraries] == [("1", "movies"), ("2", "shows")]
    items = [i for p in pages for i in p.items]
    assert Counter(i.type for i in items) == {"movie": 7, "show": 2, "season": 4, "episode": 12}
    assert len({i.remote_id for i in items}) == len(items)  # paging lost or doubled nothing
    # parents come before their children
    order = {i.remote_id: n for n, i in enumerate(items)}
    for item in items:
        if item.parent_remote_id:
            assert order[item.parent_remote_id] < order[item.remote_id]
    episode = next(i for i in items if i.type == "episode")
    lib_ep = fake.library.items[int(episode.remote_id)]
    assert episode.parent_remote_id == str(lib_ep.parent)
    assert episode.extra["show_remote_id"] == str(lib_ep.grandparent)
    assert (episode.season, episode.episode) == (lib_ep.parent_index, lib_ep.index)
    assert episode.ids["tvdb"] == str(500000 + lib_ep.rating_key)
    movie = next(i for i in items if i.type == "movie")
    lib_movie = fake.library.items[int(movie.remote_id)]
    assert movie.ids == {
        "imdb": f"tt{1000000 + lib_movie.rating_key}",
        "tmdb": str(50000 + lib_movie.rating_key),
    }
    assert movie.stream["part_key"] == lib_movie.part_key
    assert movie.updated_at == datetime.fromtimestamp(lib_movie.updated_at, UTC)
    assert movie.genres == list(lib_movie.genres) and movie.duration_ms == lib_movie.duration
    # watch state of every movie and episode
    data = user_data_of(pages)
    assert len(data) == 7 + 12
    for key, record in data.items():
        lib_item = fake.library.items[int(key)]
        assert record.played == (lib_item.view_count > 0)
        assert record.position_ms == lib_item.view_offset
    assert ctx.complete_types == {"movie", "show", "season", "episode"}


async def test_incremental_finds_changes_watch_state_and_deletions(
    adapter: PlexAdapter, fake: FakePlex
) -> None:
    _, first = await full_sync(adapter)
    lib = fake.library
    since = datetime.now(UTC) - timedelta(seconds=1)
    movies = lib.keys_of("movie")
    episodes = lib.keys_of("episode")
    watched_before = next(k for k in movies if lib.items[k].view_count)
    unwatched_before = next(k for k in movies if not lib.items[k].view_count and k != movies[0])
    lib.touch([movies[0], episodes[0]])
    lib.mark_unwatched(watched_before)
    lib.mark_watched(unwatched_before)
    lib.timeline(episodes[1], "paused", 123_000, None)
    lib.delete([movies[-1]])
    added = lib.add_movies(1)

    ctx = ListingContext(full=False, since=since, state=first.state)
    pages = await collect(adapter, ctx)

    changed = items_of(pages)
    assert set(changed) == {str(movies[0]), str(episodes[0]), str(added[0])}
    data = user_data_of(pages)
    assert not data[str(watched_before)].played and data[str(watched_before)].play_count == 0
    assert data[str(unwatched_before)].played
    assert data[str(episodes[1])].position_ms == 123_000
    untouched = [k for k in movies[1:-1] if k not in (watched_before, unwatched_before)]
    assert not {str(k) for k in untouched} & set(data)  # unchanged watch state is not resent
    # one movie deleted, one added: the count alone would not tell, the new addedAt does
    assert present_of(pages, "movie") == {str(k) for k in lib.keys_of("movie")}
    assert str(movies[-1]) not in present_of(pages, "movie")
    # episode, season and show counts add up: no id listing, so those types are not swept
    assert present_of(pages, "episode") == set()
    assert ctx.complete_types == {"movie"}

    # a second incremental with nothing changed reports nothing and lists no ids
    again = ListingContext(
        full=False, since=datetime.now(UTC) + timedelta(seconds=600), state=ctx.state
    )
    pages = await collect(adapter, again)
    assert items_of(pages) == {} and user_data_of(pages) == {}
    assert all(not p.present_ids for p in pages) and again.complete_types == set()


async def test_a_deletion_alone_is_swept(adapter: PlexAdapter, fake: FakePlex) -> None:
    _, first = await full_sync(adapter)
    lib = fake.library
    show = lib.keys_of("show")[0]
    lib.delete([show])  # the show, its seasons and episodes
    ctx = ListingContext(full=False, since=datetime.now(UTC), state=first.state)
    pages = await collect(adapter, ctx)
    assert ctx.complete_types == {"show", "season", "episode"}
    assert present_of(pages, "show") == {str(k) for k in lib.keys_of("show")}
    assert str(show) not in present_of(pages, "show")
    assert present_of(pages, "episode") == {str(k) for k in lib.keys_of("episode")}
    assert present_of(pages, "movie") == set()


async def test_hidden_delete_waits_for_the_periodic_sweep(fake: FakePlex, plex_url: str) -> None:
    """An add the watermark cannot see (an old addedAt) hides a delete until the sweep."""
    ad = make_adapter(plex_url, fake.config.token, sweep_every=3)
    _, ctx = await full_sync(ad)
    lib = fake.library
    victim = lib.keys_of("movie")[0]
    lib.delete([victim])
    late = lib.add_movie()  # generated with an addedAt years in the past…
    late.updated_at = int(time.time())  # …but refreshed now, so it is listed as changed
    swept: list[set[str]] = []
    for _ in range(2):
        ctx = ListingContext(full=False, since=datetime.now(UTC), state=ctx.state)
        pages = await collect(ad, ctx)
        swept.append(present_of(pages, "movie"))
        assert "movie" not in ctx.complete_types
    assert swept == [set(), set()]
    ctx = ListingContext(full=False, since=datetime.now(UTC), state=ctx.state)
    pages = await collect(ad, ctx)  # the third sync since the last sweep lists every id
    assert ctx.complete_types == {"movie", "show", "season", "episode"}
    assert present_of(pages, "movie") == {str(k) for k in lib.keys_of("movie")}
    assert str(victim) not in present_of(pages, "movie")
    assert ctx.state["syncs_since_sweep"] == 0
    await ad.aclose()


async def test_sweep_after_sweep_hours(adapter: PlexAdapter, fake: FakePlex) -> None:
    _, first = await full_sync(adapter)
    state = {**first.state, "swept_at": first.state["swept_at"] - 25 * 3600}
    ctx = ListingContext(full=False, since=datetime.now(UTC), state=state)
    pages = await collect(adapter, ctx)
    assert ctx.complete_types == {"movie", "show", "season", "episode"}
    assert present_of(pages, "movie") == {str(k) for k in fake.library.keys_of("movie")}


async def test_unwatched_elsewhere_is_found_by_counts(adapter: PlexAdapter, fake: FakePlex) -> None:
    _, first = await full_sync(adapter)
    lib = fake.library
    watched = [k for k in lib.keys_of("episode") if lib.items[k].view_count]
    started = [k for k in lib.keys_of("movie") if lib.items[k].view_offset]
    assert watched and started
    lib.mark_unwatched(watched[0])
    lib.mark_unwatched(started[0])
    ctx = ListingContext(full=False, since=datetime.now(UTC), state=first.state)
    data = user_data_of(await collect(adapter, ctx))
    assert set(data) == {str(watched[0]), str(started[0])}
    assert all(not d.played and d.position_ms == 0 and d.play_count == 0 for d in data.values())
    kept = Freshness.load(ctx.state)
    assert kept is not None and str(watched[0]) not in kept.watch["episode"]
    again = ListingContext(full=False, since=datetime.now(UTC), state=ctx.state)
    assert user_data_of(await collect(adapter, again)) == {}


def _record_listings(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    """The query of every paged listing the adapter makes (counts are not listings)."""
    listed: list[dict[str, object]] = []
    original = PlexClient.pages

    def pages(self: PlexClient, path: str, params: Mapping[str, object], **kw: Any) -> Any:
        listed.append(dict(params))
        return original(self, path, params, **kw)

    monkeypatch.setattr(PlexClient, "pages", pages)
    return listed


async def test_only_the_watch_set_whose_count_moved_is_listed(
    adapter: PlexAdapter, fake: FakePlex, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, first = await full_sync(adapter)
    lib = fake.library
    started = next(k for k in lib.keys_of("movie") if lib.items[k].view_offset)
    assert not lib.items[started].view_count
    lib.mark_unwatched(started)  # drops the resume point: only the in-progress count moves
    listed = _record_listings(monkeypatch)
    ctx = ListingContext(full=False, since=datetime.now(UTC), state=first.state)
    data = user_data_of(await collect(adapter, ctx))
    assert set(data) == {str(started)} and data[str(started)].position_ms == 0
    set_listings = [p for p in listed if "unwatched" in p or "inProgress" in p]
    assert set_listings == [
        {"type": 1, "inProgress": 1, "includeFields": WATCH_FIELDS, "excludeElements": NO_ELEMENTS}
    ]


async def test_watched_and_started_item_unwatched_elsewhere_leaves_both_sets(
    fake: FakePlex, plex_url: str
) -> None:
    lib = fake.library
    both = lib.keys_of("episode")[1]
    lib.items[both].view_count, lib.items[both].view_offset = 2, 60_000  # a rewatch paused
    lib.items[both].last_viewed_at = 1_700_000_000
    ad = make_adapter(plex_url, fake.config.token)
    try:
        _, first = await full_sync(ad)
        lib.mark_unwatched(both)
        ctx = ListingContext(full=False, since=datetime.now(UTC), state=first.state)
        data = user_data_of(await collect(ad, ctx))
        assert set(data) == {str(both)}
        assert not data[str(both)].played and data[str(both)].position_ms == 0
        kept = Freshness.load(ctx.state)
        assert kept is not None and str(both) not in kept.watch["episode"]
    finally:
        await ad.aclose()


async def test_state_kept_before_the_compact_watch_maps_still_works(
    adapter: PlexAdapter, fake: FakePlex
) -> None:
    """Watch maps kept as plain dicts (older state) load: no full listing after upgrading."""
    _, first = await full_sync(adapter)
    kept = Freshness.load(first.state)
    assert kept is not None
    old = {**first.state, "watch": {t: dict(m) for t, m in kept.watch.items()}}
    lib = fake.library
    watched = next(k for k in lib.keys_of("movie") if lib.items[k].view_count)
    lib.mark_unwatched(watched)
    ctx = ListingContext(full=False, since=datetime.now(UTC), state=old)
    pages = await collect(adapter, ctx)
    assert items_of(pages) == {} and ctx.complete_types == set()
    assert set(user_data_of(pages)) == {str(watched)}
    assert isinstance(ctx.state["watch"]["movie"], str)


async def test_old_state_means_a_full_listing(adapter: PlexAdapter, fake: FakePlex) -> None:
    state = {"version": 1, "sections": ["1", "2"], "watch": {}, "server": None}
    ctx = ListingContext(full=False, since=datetime.now(UTC), state=state)
    pages = await collect(adapter, ctx)
    assert len(items_of(pages)) == 7 + 2 + 4 + 12
    assert ctx.complete_types == {"movie", "show", "season", "episode"}
    assert ctx.state["version"] == 2


async def test_incremental_lists_a_new_section_whole(adapter: PlexAdapter, fake: FakePlex) -> None:
    _, first = await full_sync(adapter)
    state = {**first.state, "sections": ["1"]}  # as if the show library was just shared
    ctx = ListingContext(full=False, since=datetime.now(UTC), state=state)
    pages = await collect(adapter, ctx)
    assert Counter(i.type for p in pages for i in p.items) == {
        "show": 2,
        "season": 4,
        "episode": 12,
    }
    assert ctx.state["sections"] == ["1", "2"]


async def test_listing_that_shifts_mid_way_is_not_complete(fake: FakePlex, plex_url: str) -> None:
    ad = make_adapter(plex_url, fake.config.token, id_page_size=2, sweep_every=1)
    _, first = await full_sync(ad)
    victims = fake.library.keys_of("movie")

    def on_progress(phase: str, done: int, total: int | None) -> None:
        if phase == "Movies: movie ids" and done == 2:
            fake.library.delete([victims[0]])  # offsets shift under the listing

    ctx = ListingContext(
        full=False, since=datetime.now(UTC), state=first.state, progress=on_progress
    )
    await collect(ad, ctx)
    assert "movie" not in ctx.complete_types
    assert {"show", "season", "episode"} <= ctx.complete_types
    await ad.aclose()


async def test_write_back_reaches_the_server(adapter: PlexAdapter, fake: FakePlex) -> None:
    movie = next(k for k in fake.library.keys_of("movie") if not fake.library.items[k].view_count)
    await adapter.set_played(str(movie), "movie", True)
    assert fake.library.items[movie].view_count == 1
    await adapter.set_played(str(movie), "movie", False)
    assert fake.library.items[movie].view_count == 0
    assert fake.library.items[movie].last_viewed_at is None
    await adapter.report_progress(str(movie), "movie", 61_000, 5_400_000, "paused")
    assert fake.library.items[movie].view_offset == 61_000
    duration = fake.library.items[movie].duration or 0
    await adapter.report_progress(str(movie), "movie", duration - 1000, duration, "stopped")
    assert fake.library.items[movie].view_count == 1  # past 90 %: watched


async def test_stream_and_image_urls_work(
    adapter: PlexAdapter, fake: FakePlex, plex_url: str
) -> None:
    pages, _ = await full_sync(adapter)
    movie = next(i for i in (i for p in pages for i in p.items) if i.type == "movie")
    direct = adapter.stream_url(movie.remote_id, "movie", movie.stream, "direct")
    assert direct.startswith(plex_url + "/library/parts/") and "X-Plex-Token=" in direct
    hls = adapter.stream_url(movie.remote_id, "movie", movie.stream, "hls")
    assert "/video/:/transcode/universal/start.m3u8?" in hls
    url, headers = adapter.image_request(movie.artwork["poster"])
    assert fake.config.token not in url
    async with httpx.AsyncClient() as http:
        file = await http.get(direct, headers={"Range": "bytes=0-99"})
        assert file.status_code == 206 and len(file.content) == 100
        playlist = await http.get(hls)
        assert playlist.status_code == 200 and playlist.text.startswith("#EXTM3U")
        image = await http.get(url, headers=headers)
        assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
        assert (await http.get(url)).status_code == 401


async def test_revoked_token_is_invalid_auth(adapter: PlexAdapter, fake: FakePlex) -> None:
    fake.revoke_token()
    with pytest.raises(InvalidAuth, match="expired or was revoked"):
        await collect(adapter, ListingContext())
    result = await adapter.test()
    assert result.reachable and not result.authenticated


async def test_unreachable_server_is_cannot_connect(fake: FakePlex) -> None:
    ad = make_adapter(f"http://127.0.0.1:{free_port()}", fake.config.token)
    with pytest.raises(CannotConnect):
        await collect(ad, ListingContext())
    result = await ad.test()
    assert not result.reachable
    await ad.aclose()


async def test_transient_faults_are_retried(adapter: PlexAdapter, fake: FakePlex) -> None:
    fake.faults.set("error", count=1, status=503, path_prefix="/library/sections/1/all")
    pages, ctx = await full_sync(adapter)
    assert (
        "movie" in ctx.complete_types
        and len([i for p in pages for i in p.items if i.type == "movie"]) == 7
    )
    fake.faults.set("truncate", count=1, path_prefix="/library/sections/2/all")
    pages, ctx = await full_sync(adapter)
    assert ctx.complete_types == {"movie", "show", "season", "episode"}
    fake.faults.set("reset", count=1, path_prefix="/library/sections")
    pages, ctx = await full_sync(adapter)
    assert ctx.complete_types == {"movie", "show", "season", "episode"}


async def test_persistent_5xx_is_cannot_connect(adapter: PlexAdapter, fake: FakePlex) -> None:
    fake.faults.set("error", path_prefix="/library/sections/2/all")
    ctx = ListingContext()
    with pytest.raises(CannotConnect):
        await collect(adapter, ctx)
    assert "episode" not in ctx.complete_types


async def test_test_reports_server_and_latency(adapter: PlexAdapter, fake: FakePlex) -> None:
    result = await adapter.test()
    assert result.reachable and result.authenticated
    assert result.details["server"] == fake.config.name
    assert result.details["version"] == fake.config.version
    assert result.latency_ms is not None and result.latency_ms >= 0


async def test_setup_pins_the_server_identity(fake: FakePlex, plex_url: str) -> None:
    ad = make_adapter(plex_url, fake.config.token)
    config = await ad.setup()
    assert config.settings["machine_identifier"] == fake.config.machine_identifier
    other = make_adapter(plex_url, fake.config.token, machine_identifier="another-server")
    with pytest.raises(CannotConnect, match="different Plex server"):
        await collect(other, ListingContext())
    await ad.aclose()
    await other.aclose()


async def test_logs_never_carry_the_token(
    fake: FakePlex, plex_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    dead = f"http://127.0.0.1:{free_port()}"
    conns = [{"uri": dead, "local": True}, {"uri": plex_url, "local": False}]
    ad = make_adapter(dead, fake.config.token, connections=conns)
    await collect(ad, ListingContext())
    fake.faults.set("error", count=1)
    await ad.test()
    fake.revoke_token()
    with pytest.raises(InvalidAuth):
        await collect(ad, ListingContext())
    await ad.aclose()
    assert "switching to remote" in caplog.text
    assert fake.config.token not in caplog.text
