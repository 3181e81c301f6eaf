"""Full and incremental listings of the adapter against the fake server."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from reel.sources.base import ListingContext
from reel.sources.jellyfin.adapter import JellyfinAdapter
from reel.testing.fakes.jellyfin import FakeJellyfin


async def test_setup_swaps_password_for_token(
    fake: FakeJellyfin, config_for: Any, fast_retry: Any
) -> None:
    adapter = JellyfinAdapter(config_for(), retry=fast_retry)
    stored = await adapter.setup()
    await adapter.aclose()
    assert set(stored.secrets) == {"token"}
    assert stored.secrets["token"] in fake.data.devices
    assert stored.settings["user_id"] == fake.owner.id
    assert stored.settings["device_id"] == "reel-test-device"
    assert stored.settings["server_id"] == fake.server_id
    device = fake.data.devices[stored.secrets["token"]]
    assert (device.client, device.device_id) == ("Reel", "reel-test-device")


async def test_full_listing_counts_and_mapping(
    fake: FakeJellyfin, adapter: JellyfinAdapter, run_listing: Any
) -> None:
    ctx = ListingContext(full=True)
    got = await run_listing(adapter, ctx)

    assert [(lib.title, lib.kind) for lib in got.libraries] == [
        ("Movies", "movies"),
        ("Shows", "shows"),
    ]
    for server_kind, ours in [
        ("Movie", "movie"),
        ("Series", "show"),
        ("Season", "season"),
        ("Episode", "episode"),
    ]:
        ids = [i.remote_id for i in got.items(ours)]
        assert sorted(ids) == sorted(fake.ids(server_kind)), ours
        assert len(ids) == len(set(ids))
    assert ctx.complete_types == {"movie", "show", "season", "episode"}
    assert "cursor" in ctx.state

    # parents reach the engine before their children
    order = [i.type for i in got.items()]
    assert order.index("episode") > order.index("season") > order.index("show")

    source = fake.data.items
    movie = got.items("movie")[0]
    truth = source[movie.remote_id]
    assert movie.title == truth.name
    assert movie.overview == truth.overview
    assert movie.duration_ms == truth.runtime_ticks // 10_000
    assert movie.ids == {"tmdb": truth.provider_ids["Tmdb"], "imdb": truth.provider_ids["Imdb"]}
    assert movie.added_at == truth.date_created
    assert movie.artwork["poster"] == (
        f"/Items/{truth.id}/Images/Primary?tag={truth.image_tags['Primary']}"
    )
    assert movie.artwork["fanart"].startswith(f"/Items/{truth.id}/Images/Backdrop?tag=")
    assert movie.library_remote_id == fake.data.libraries[0].id

    episode = got.items("episode")[5]
    ep_truth = source[episode.remote_id]
    assert episode.parent_remote_id == ep_truth.season_id
    assert (episode.season, episode.episode) == (ep_truth.parent_index, ep_truth.index)
    season = got.items("season")[0]
    assert season.parent_remote_id == source[season.remote_id].series_id
    assert season.season == source[season.remote_id].index

    owner = fake.owner.id
    played = {i for (u, i), d in fake.data.user_data.items() if u == owner and d.played}
    assert played and {k for k, v in got.user_data.items() if v.played} == played
    resumed = [(i, d) for (u, i), d in fake.data.user_data.items() if d.position_ticks]
    for item_id, data in resumed:
        assert got.user_data[item_id].position_ms == data.position_ticks // 10_000


async def test_pages_are_fetched_with_bounded_concurrency(
    fake: FakeJellyfin, config_for: Any, fast_retry: Any, run_listing: Any
) -> None:
    first = JellyfinAdapter(config_for(page_size=3, concurrency=2), retry=fast_retry)
    adapter = JellyfinAdapter(await first.setup(), retry=fast_retry)
    fake.requests.clear()
    fake.faults.set("slow", delay=0.05, path="/items")
    got = await run_listing(adapter, ListingContext(full=True))
    await adapter.aclose()
    assert len(got.items("movie")) == 25
    movie_pages = [
        h[":query"]
        for _, path, h in fake.requests
        if path == "/items" and "IncludeItemTypes=Movie" in h[":query"]
    ]
    # 25 movies in pages of 3: 9 pages, each asking only for the fields it maps
    assert len(movie_pages) == 9
    assert all("Fields=Overview%2CGenres%2CProviderIds" in q for q in movie_pages)
    assert all("Recursive=true" in q and "ParentId=" in q for q in movie_pages)
    assert fake.max_in_flight == 2


async def test_incremental_finds_metadata_watch_state_and_deletions(
    fake: FakeJellyfin, adapter: JellyfinAdapter, run_listing: Any
) -> None:
    first = ListingContext(full=True)
    await run_listing(adapter, first)
    since = datetime.now(UTC)

    changed = fake.data.change_metadata(3, "Movie")
    unwatched = [i for i in fake.ids("Movie") if not fake.data.data_for(fake.owner.id, i).played]
    fake.data.set_played(unwatched[:2], True)  # elsewhere: does not bump DateLastSaved
    gone = fake.data.delete(1, "Series")  # with its seasons and episodes

    ctx = ListingContext(full=False, since=since, state=dict(first.state))
    got = await run_listing(adapter, ctx)

    assert sorted(i.remote_id for i in got.items()) == sorted(changed)
    assert all(i.title.endswith("(rev 1)") for i in got.items())
    for item_id in unwatched[:2]:
        assert got.user_data[item_id].played
    for kind, ours in [
        ("Series", "show"),
        ("Season", "season"),
        ("Episode", "episode"),
    ]:
        assert sorted(got.present(ours)) == sorted(fake.ids(kind))
    assert not set(gone) & {i for k in ("show", "season", "episode") for i in got.present(k)}
    # the movie count still adds up: no movie id listing, movies are not swept
    assert got.present("movie") == []
    assert ctx.complete_types == {"show", "season", "episode"}


async def test_unchanged_incremental_lists_no_items(
    fake: FakeJellyfin, adapter: JellyfinAdapter, run_listing: Any
) -> None:
    first = ListingContext(full=True)
    await run_listing(adapter, first)
    fake.requests.clear()
    ctx = ListingContext(full=False, since=datetime.now(UTC), state=dict(first.state))
    got = await run_listing(adapter, ctx)
    assert got.items() == [] and got.user_data == {}
    assert got.present("movie") == [] and ctx.complete_types == set()
    # views + per (library, kind): changed listing, count; per playable kind: the first
    # page of the played and of the resumable set (their counts and newest plays) — never
    # a page per 7 items of the library
    assert len(fake.requests) == 1 + 4 * 2 + 2 * 2


async def test_failed_presence_listing_marks_nothing_complete(
    fake: FakeJellyfin, config_for: Any, fast_retry: Any, run_listing: Any
) -> None:
    adapter = JellyfinAdapter(config_for(page_size=7, sweep_every=1), retry=fast_retry)
    adapter = JellyfinAdapter(await adapter.setup(), retry=fast_retry)
    try:
        first = ListingContext(full=True)
        await run_listing(adapter, first)
        ctx = ListingContext(full=False, since=datetime.now(UTC), state=dict(first.state))
        presence_pages = 0
        try:
            async for page in adapter.listing(ctx):
                if page.present_ids:
                    presence_pages += 1
                    # the id listing of movies arrived; the server fails for everything after it
                    fake.faults.set("5xx", path="/items")
        except Exception as exc:
            assert "server error 503" in str(exc)
        else:
            raise AssertionError("the listing should have failed")
        assert presence_pages == 1
        # movie ids came in one page and count; nothing whose listing failed may be swept
        assert ctx.complete_types == {"movie"}
        assert "cursor" not in ctx.state or ctx.state["cursor"] == first.state["cursor"]
    finally:
        await adapter.aclose()


async def test_progress_is_reported_per_page(adapter: JellyfinAdapter, run_listing: Any) -> None:
    seen: list[tuple[str, int, int | None]] = []
    ctx = ListingContext(full=True, progress=lambda *a: seen.append(a))
    await run_listing(adapter, ctx)
    movie = [s for s in seen if s[0] == "movie"]
    assert movie[-1] == ("movie", 25, 25)
    assert [s[1] for s in movie] == [7, 14, 21, 25]
