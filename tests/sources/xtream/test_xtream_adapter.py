"""The adapter against the fake panel on loopback: listings, children, streams, account."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from reel.sources.base import ListingContext
from reel.sources.errors import BadResponse, CannotConnect, InvalidAuth
from reel.sources.records import ListingPage
from reel.sources.xtream.adapter import XtreamAdapter
from reel.testing.fakes.xtream import XtreamFake

Make = Callable[..., XtreamAdapter]


async def collect(adapter: XtreamAdapter, ctx: ListingContext | None = None) -> list[ListingPage]:
    return [page async for page in adapter.listing(ctx or ListingContext())]


def items_of(pages: list[ListingPage]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for page in pages:
        for item in page.items:
            assert item.remote_id not in out.get(item.type, {}), "duplicate item"
            out.setdefault(item.type, {})[item.remote_id] = item
    return out


async def test_full_listing_matches_the_panel(make_adapter: Make, fake: XtreamFake) -> None:
    reports: list[tuple[str, int, int | None]] = []
    ctx = ListingContext(progress=lambda phase, done, total: reports.append((phase, done, total)))
    pages = await collect(make_adapter(page_size=25), ctx)
    cat = fake.catalog
    by_type = items_of(pages)
    assert len(by_type["channel"]) == cat.count("live") == 60
    assert len(by_type["movie"]) == cat.count("vod") == 90
    assert len(by_type["show"]) == cat.count("series") == 40
    assert {lib.remote_id: lib.kind for lib in pages[0].libraries} == {
        "live": "live",
        "vod": "movies",
        "series": "shows",
    }
    kinds = Counter(c.kind for c in pages[0].categories)
    assert kinds == {"live": 6, "vod": 6, "series": 4}
    assert ctx.complete_types >= {"channel", "movie", "show", "programme"}
    assert max(len(p.items) for p in pages) <= 25
    assert ("vod", 90, 90) in reports and ("live", 60, 60) in reports
    # the three big listings and the categories were each asked for once
    calls = Counter(action for path, action, _ in fake.calls() if path == "/player_api.php")
    assert calls == {
        "": 1,
        "get_live_categories": 1,
        "get_vod_categories": 1,
        "get_series_categories": 1,
        "get_live_streams": 1,
        "get_vod_streams": 1,
        "get_series": 1,
    }


async def test_records_carry_clean_fields_and_no_credentials(
    make_adapter: Make, fake: XtreamFake
) -> None:
    pages = await collect(make_adapter())
    by_type = items_of(pages)
    cat = fake.catalog
    categories = {(c.kind, c.remote_id) for c in pages[0].categories}
    for item in (i for p in pages for i in p.items):
        blob = repr(item)
        assert fake.config.password not in blob and "username" not in blob
        if item.category_remote_id is not None:
            kind = {"channel": "live", "movie": "vod", "show": "series"}[item.type]
            assert (kind, item.category_remote_id) in categories
        assert item.added_at is None or item.added_at.tzinfo is not None
        assert item.title
    # an entry with an empty name still gets a title; a null category stays None
    empty = next(i for i in cat.indexes("vod") if cat.has_empty_name("vod", i))
    assert (
        by_type["movie"][str(cat.stream_id("vod", empty))].title
        == f"Movie {cat.stream_id('vod', empty)}"
    )
    nulled = next(i for i in cat.indexes("live") if i % 23 == 5)
    assert by_type["channel"][str(cat.stream_id("live", nulled))].category_remote_id is None
    # a decorated film name gives the clean title and the year
    for i in cat.indexes("vod"):
        if not cat.has_empty_name("vod", i):
            movie = by_type["movie"][str(cat.stream_id("vod", i))]
            assert movie.title == cat.base_title("vod", i)
            assert movie.year == cat.year("vod", i) or "(" not in cat.vod_name(i)
            assert movie.stream["ext"] == cat.extension("vod", i)
    channel = by_type["channel"][str(cat.stream_id("live", 0))]
    assert channel.channel_number == 1 and channel.epg_id == cat.epg_id(0)
    show = by_type["show"][str(cat.stream_id("series", 1))]
    assert show.extra["last_modified"] == str(cat.last_modified(1))
    assert show.updated_at is not None and show.artwork["poster"].endswith(".png")


async def test_guide_programmes_match_channel_epg_ids(make_adapter: Make, fake: XtreamFake) -> None:
    pages = await collect(make_adapter())
    programmes = [p for page in pages for p in page.programmes]
    epg_ids = {fake.catalog.epg_id(i) for i in fake.catalog.indexes("live")} - {None}
    assert {p.channel_key for p in programmes} == epg_ids
    assert all(p.start.tzinfo is not None and p.stop > p.start for p in programmes)
    no_guide = await collect(make_adapter(settings={"epg": False}))
    assert not any(page.programmes for page in no_guide)


async def test_children_of_every_episode_layout(make_adapter: Make, fake: XtreamFake) -> None:
    adapter, cat = make_adapter(), fake.catalog
    layouts = {cat.episodes_layout(i): i for i in cat.indexes("series")}
    assert set(layouts) == {"dict", "lists", "flat", "none"}
    for layout, i in layouts.items():
        series_id = str(cat.stream_id("series", i))
        ctx = ListingContext()
        pages = [p async for p in adapter.children(series_id, ctx)]
        found = items_of(pages)
        assert ctx.complete_types == {"season", "episode"}
        if layout == "none":
            assert found == {}
            continue
        seasons, episodes = found["season"], found["episode"]
        assert sorted(s.season for s in seasons.values()) == [1, 2]
        assert len(episodes) == 2 * 3
        for ep in episodes.values():
            assert ep.parent_remote_id == f"{series_id}:s{ep.season}"
            assert cat.episode(ep.remote_id) == (i, ep.season, ep.episode)
            assert ep.stream["ext"]
        assert all(s.parent_remote_id == series_id for s in seasons.values())
        assert ctx.state["series_last_modified"][series_id] == str(cat.last_modified(i))
    unknown = [p async for p in adapter.children("999999999", ListingContext())]
    assert items_of(unknown) == {}


async def test_background_pass_refetches_only_changed_series(
    make_adapter: Make, fake: XtreamFake
) -> None:
    adapter, cat = make_adapter(), fake.catalog
    listing = {
        r.remote_id: r.extra.get("last_modified")
        for r in items_of(await collect(adapter))["show"].values()
    }
    state: dict[str, Any] = {}
    # nothing opened yet: no refetch unless asked to include new series
    assert [x async for x in adapter.refresh_changed_series(listing.items(), state)] == []
    first = [
        sid
        async for sid, _ in adapter.refresh_changed_series(
            listing.items(), state, include_new=True, concurrency=3
        )
    ]
    assert sorted(first) == sorted(listing)
    assert fake.peak_in_flight["get_series_info"] <= 3
    touched = cat.touch_series(4)
    fake.reset_log()
    listing = {
        r.remote_id: r.extra.get("last_modified")
        for r in items_of(await collect(adapter))["show"].values()
    }
    pages = {
        sid: page async for sid, page in adapter.refresh_changed_series(listing.items(), state)
    }
    assert sorted(pages) == sorted(touched)
    assert sorted(r[2] for r in fake.calls("get_series_info")) == sorted(touched)
    grown = items_of([pages[touched[0]]])["episode"]
    assert len(grown) == 2 * 3 + 1
    assert [x async for x in adapter.refresh_changed_series(listing.items(), state)] == []


async def test_stream_urls_play_from_the_panel(make_adapter: Make, fake: XtreamFake) -> None:
    adapter, cat = make_adapter(), fake.catalog
    by_type = items_of(await collect(adapter))
    movie = next(iter(by_type["movie"].values()))
    channel = next(iter(by_type["channel"].values()))
    series_id = str(cat.stream_id("series", 0))
    episode = items_of([p async for p in adapter.children(series_id, ListingContext())])["episode"]
    ep = next(iter(episode.values()))
    base = fake.config.public_url
    user, password = fake.config.username, fake.config.password
    movie_url = adapter.stream_url(movie.remote_id, "movie", movie.stream)
    assert movie_url == f"{base}/movie/{user}/{password}/{movie.remote_id}.{movie.stream['ext']}"
    live_url = adapter.stream_url(channel.remote_id, "channel", channel.stream)
    assert live_url.endswith(f"/live/{user}/{password}/{channel.remote_id}.ts")
    hls_url = adapter.stream_url(channel.remote_id, "channel", channel.stream, "hls")
    assert hls_url.endswith(".m3u8")
    ep_url = adapter.stream_url(ep.remote_id, "episode", ep.stream)
    assert f"/series/{user}/{password}/{ep.remote_id}." in ep_url
    async with httpx.AsyncClient() as http:
        got = await http.get(movie_url, headers={"Range": "bytes=0-7"})
        assert got.status_code == 206 and got.content[4:8] == b"ftyp"
        assert (await http.get(live_url)).content[:1] == b"\x47"  # MPEG-TS sync byte
        assert (await http.get(ep_url)).status_code == 200
        playlist = (await http.get(hls_url)).text
        segment = next(line for line in playlist.splitlines() if line.endswith(".ts"))
        assert password not in segment
        assert (await http.get(base + segment)).content[:1] == b"\x47"
    with pytest.raises(ValueError):
        adapter.stream_url(series_id, "show", {})


async def test_live_format_follows_the_account(make_adapter: Make, fake: XtreamFake) -> None:
    fake.config.allowed_output_formats = ("m3u8",)
    adapter = make_adapter()
    assert adapter.stream_url("1", "channel", {}).endswith(".ts")  # nothing known yet
    config = await adapter.setup()
    assert config.settings["allowed_output_formats"] == ["m3u8"]
    assert adapter.stream_url("1", "channel", {}).endswith("/1.m3u8")
    assert (
        make_adapter(settings={"output": "m3u8"}).stream_url("1", "channel", {}).endswith(".m3u8")
    )


async def test_account_details(make_adapter: Make, fake: XtreamFake) -> None:
    result = await make_adapter().test()
    assert result.reachable and result.authenticated
    assert result.details["status"] == "Active"
    assert result.details["exp_date"] == "2026-12-15T09:18:46+00:00"
    assert result.details["max_connections"] == 2
    assert result.details["active_cons"] == 0
    assert result.details["allowed_output_formats"] == ["m3u8", "ts"]
    assert result.details["timezone"] == "Europe/Istanbul"
    assert "Active" in result.message and fake.config.password not in repr(result)


@pytest.mark.parametrize("status", [None, 401, 403])
async def test_bad_credentials(make_adapter: Make, fake: XtreamFake, status: int | None) -> None:
    fake.config.bad_auth_status = status
    adapter = make_adapter(password="wrong")
    result = await adapter.test()
    assert result.reachable and not result.authenticated
    assert result.message == "bad credentials for source panel"
    with pytest.raises(InvalidAuth, match=r"^bad credentials for source panel$"):
        await collect(adapter)
    assert len(fake.calls("")) == 2  # never retried


async def test_expired_account_stops_before_listing(make_adapter: Make, fake: XtreamFake) -> None:
    fake.config.status = "Expired"
    with pytest.raises(InvalidAuth, match="Expired"):
        await collect(make_adapter())


async def test_html_page_names_the_call(make_adapter: Make, fake: XtreamFake) -> None:
    fake.faults.set("html", actions={"get_vod_streams"})
    with pytest.raises(
        BadResponse, match=r"^server returned an HTML page instead of JSON for get_vod_streams$"
    ):
        await collect(make_adapter())


async def test_auth_zero_on_a_listing_is_bad_credentials(
    make_adapter: Make, fake: XtreamFake
) -> None:
    fake.faults.set("auth0", actions={"get_series"})
    with pytest.raises(InvalidAuth, match="bad credentials for source panel"):
        await collect(make_adapter())


async def test_server_errors_are_retried(make_adapter: Make, fake: XtreamFake) -> None:
    fake.faults.set("error", status=503, actions={"get_vod_streams"}, times=2)
    by_type = items_of(await collect(make_adapter()))
    assert len(by_type["movie"]) == 90
    assert fake.faults.hits == 2 and len(fake.calls("get_vod_streams")) == 1  # 2 faulted, 1 served
    fake.faults.set("error", status=502, actions={"get_vod_streams"})
    with pytest.raises(CannotConnect, match="server error 502 for get_vod_streams"):
        await collect(make_adapter())
    assert fake.faults.hits == 3  # every attempt of the policy


@pytest.mark.parametrize(
    ("mode", "error"),
    [("truncate", BadResponse), ("drop", CannotConnect), ("reset", CannotConnect)],
)
async def test_broken_bodies(
    make_adapter: Make, fake: XtreamFake, mode: Any, error: type[Exception]
) -> None:
    fake.faults.set(mode, actions={"get_live_streams"})
    with pytest.raises(error, match="get_live_streams"):
        await collect(make_adapter())


async def test_slow_panel_times_out(make_adapter: Make, fake: XtreamFake) -> None:
    fake.faults.set("slow", delay=1.0, actions={"get_series"})
    with pytest.raises(CannotConnect, match="timed out during get_series"):
        await collect(make_adapter(settings={"timeout": 0.2}))


async def test_guide_failure_keeps_the_catalog(make_adapter: Make, fake: XtreamFake) -> None:
    fake.faults.set("error", status=500, paths=("/xmltv.php",))
    ctx = ListingContext()
    by_type = items_of(await collect(make_adapter(), ctx))
    assert len(by_type["channel"]) == 60
    assert "programme" not in ctx.complete_types and "channel" in ctx.complete_types


async def test_unreachable_host(make_adapter: Make) -> None:
    from reel.testing.server import free_port

    adapter = make_adapter(settings={"url": f"http://127.0.0.1:{free_port()}"})
    result = await adapter.test()
    assert not result.reachable and "connection failed" in result.message
    with pytest.raises(CannotConnect):
        await collect(adapter)


async def test_incremental_changes_show_in_the_listing(
    make_adapter: Make, fake: XtreamFake
) -> None:
    cat = fake.catalog
    categories_before = {i: cat.category_of("vod", i) for i in cat.indexes("vod")}
    added = cat.add("vod", 3)
    removed = cat.remove("live", 2)
    renamed = cat.rename("series", 2)
    moved = cat.recategorise("vod", 4)
    by_type = items_of(await collect(make_adapter()))
    assert set(added) <= set(by_type["movie"]) and len(by_type["movie"]) == 93
    assert not set(removed) & set(by_type["channel"]) and len(by_type["channel"]) == 58
    for sid in renamed:
        assert by_type["show"][sid].title.startswith(cat.base_title("series", int(sid) - 5_000))
        assert "Renamed" in by_type["show"][sid].title
    for sid in moved:
        i = int(sid) - 1_000_000
        assert cat.category_of("vod", i) != categories_before[i]
        # null/empty category_id quirks still name the category in category_ids
        assert by_type["movie"][sid].category_remote_id == cat.category_of("vod", i)


async def test_vod_details_and_short_epg(make_adapter: Make, fake: XtreamFake) -> None:
    adapter, cat = make_adapter(), fake.catalog
    i = next(i for i in cat.indexes("vod") if cat.tmdb_id("vod", i))
    record = await adapter.vod_details(str(cat.stream_id("vod", i)))
    assert record is not None and record.type == "movie"
    assert record.ids["tmdb"] == str(cat.tmdb_id("vod", i)) and record.ids["imdb"].startswith("tt")
    assert record.overview and record.duration_ms and record.extra["cast"]
    assert await adapter.vod_details("12345") is None  # panels answer {"info": []}
    programmes = await adapter.short_epg(str(cat.stream_id("live", 0)), limit=2)
    assert len(programmes) == 2  # the fake's guide starts in 2030, so all of it is upcoming
    assert programmes[0].start == cat.epg_start and programmes[0].stop == programmes[1].start
    assert programmes[0].channel_key == cat.epg_id(0)
    assert "news & weather <live>" in (programmes[0].description or "")
    assert programmes[0].title and not programmes[0].title.endswith("=")
