"""The M3U adapter end to end: against the fake panel over loopback and on local files."""

from __future__ import annotations

import gzip
import logging
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from reel.sources.base import ListingContext, SourceConfig
from reel.sources.errors import BadResponse, CannotConnect, InvalidAuth
from reel.sources.http import RetryPolicy
from reel.sources.m3u.adapter import M3uAdapter
from reel.sources.records import ITEM_TYPES, ListingPage
from reel.sources.registry import adapter_class
from reel.testing.fakes.m3u import FakeM3u, FakeM3uConfig
from reel.testing.server import serve_in_thread

FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02)
START = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakeM3u, str]]:
    fake = FakeM3u(FakeM3uConfig(channels=40, vod=6, series=2, guide_start=START))
    with serve_in_thread(fake.app) as url:
        yield fake, url


@pytest.fixture
def fake(served: tuple[FakeM3u, str]) -> Iterator[FakeM3u]:
    fake = served[0]
    yield fake
    fake.faults.mode = None
    fake.faults.remaining = None
    fake.faults.only = None


@pytest.fixture
def base(served: tuple[FakeM3u, str]) -> str:
    return served[1]


def xtream_url(base: str, password: str = "pass", output: str = "ts") -> str:
    return f"{base}/get.php?username=user&password={password}&type=m3u_plus&output={output}"


async def adapter(settings: dict[str, str]) -> M3uAdapter:
    config = await M3uAdapter(SourceConfig("iptv", "m3u", settings), retry=FAST).setup()
    return M3uAdapter(config, retry=FAST)


async def listing(source: M3uAdapter, ctx: ListingContext | None = None) -> list[ListingPage]:
    return [page async for page in source.listing(ctx or ListingContext())]


def counts(pages: list[ListingPage]) -> Counter[str]:
    return Counter(item.type for page in pages for item in page.items)


def test_registry_finds_the_adapter() -> None:
    assert adapter_class("m3u") is M3uAdapter


async def test_setup_moves_remote_locations_into_secrets(base: str) -> None:
    url, epg = xtream_url(base), f"{base}/xmltv.php?username=user&password=pass"
    config = await M3uAdapter(SourceConfig("s", "m3u", {"url": url, "epg": epg})).setup()
    assert config.secrets == {"url": url, "epg": epg}
    assert "pass" not in repr(config.settings) and config.settings["url_display"].endswith("/…")
    local = await M3uAdapter(SourceConfig("s", "m3u", {"url": "/tmp/x.m3u"})).setup()
    assert (local.settings, local.secrets) == ({"url": "/tmp/x.m3u"}, {})


async def test_xtream_playlist_full_listing(fake: FakeM3u, base: str) -> None:
    ctx = ListingContext(prune_programmes_before=START + timedelta(hours=2))
    progress: list[tuple[str, int, int | None]] = []
    ctx.progress = lambda phase, done, total: progress.append((phase, done, total))
    source = await adapter({"url": xtream_url(base), "epg": f"{base}/epg.xml.gz"})
    pages = await listing(source, ctx)
    assert counts(pages) == {"channel": 40, "movie": 6, "show": 2, "season": 4, "episode": 12}
    assert ctx.complete_types == {*ITEM_TYPES, "programme"}
    items = [i for p in pages for i in p.items]
    # items come before programmes, and every stream URL hides the account
    first_programme = next(n for n, p in enumerate(pages) if p.programmes)
    assert not any(p.items for p in pages[first_programme:])
    assert all("/user/pass/" not in i.stream.get("url", "") for i in items)
    assert sum(i.stream.get("auth") == "1" for i in items) == 40 + 6 + 12
    channel = next(i for i in items if i.type == "channel" and i.extra.get("catchup"))
    assert channel.remote_id.startswith("xc:") and channel.category_remote_id
    assert source.stream_url(channel.remote_id, "channel", channel.stream).endswith(
        f"/live/user/pass/{channel.remote_id[3:]}.ts"
    )
    async with httpx.AsyncClient() as client:
        played = await client.get(source.stream_url(channel.remote_id, "channel", channel.stream))
    assert played.status_code == 200 and played.content.startswith(b"reel-fake-stream-")
    # the guide: every channel matched (tvg-id or display name), old programmes pruned
    programmes = [p for page in pages for p in page.programmes]
    assert {p.channel_key for p in programmes} == {i.epg_id for i in items if i.type == "channel"}
    assert min(p.stop for p in programmes) >= START + timedelta(hours=2)
    assert progress[-1][0] == "guide" and any(ph == "playlist" for ph, _, _ in progress)


async def test_plain_playlist_guide_from_header_and_token_rotation(
    fake: FakeM3u, base: str
) -> None:
    source = await adapter({"url": f"{base}/playlist.m3u"})
    first = await listing(source)
    assert sum(len(p.programmes) for p in first) > 0  # x-tvg-url of the header was used
    fake.rotate_tokens()
    fake.shuffle()
    second = await listing(source)
    ids = lambda pages: sorted((i.type, i.remote_id) for p in pages for i in p.items)  # noqa: E731
    assert ids(first) == ids(second)


async def test_incremental_changes_show_up(fake: FakeM3u, base: str) -> None:
    source = await adapter({"url": xtream_url(base)})
    before = {i.remote_id: i for p in await listing(source) for i in p.items}
    channels = fake.channels
    gone, renamed, moved = channels[1], channels[2], channels[3]
    fake.remove(gone.id)
    fake.rename(renamed.id, "Renamed ✓")
    fake.regroup(moved.id, "Brand New Group")
    (added,) = fake.add_channels(1)
    pages = await listing(source)
    after = {i.remote_id: i for p in pages for i in p.items}
    assert set(after) - set(before) == {f"xc:{added.id}"}
    assert set(before) - set(after) == {f"xc:{gone.id}"}
    assert after[f"xc:{renamed.id}"].title == "Renamed ✓"
    assert after[f"xc:{moved.id}"].category_remote_id == "Brand New Group"
    assert any(c.remote_id == "Brand New Group" for p in pages for c in p.categories)


async def test_bad_credentials(base: str) -> None:
    source = await adapter({"url": xtream_url(base, password="wrong")})
    with pytest.raises(InvalidAuth):
        await listing(source)
    result = await source.test()
    assert result.reachable and not result.authenticated


@pytest.mark.parametrize("mode", ["5xx", "reset", "truncated"])
async def test_transient_faults_are_retried(fake: FakeM3u, base: str, mode: str) -> None:
    fake.faults.mode, fake.faults.remaining = mode, 1
    source = await adapter({"url": xtream_url(base)})
    assert counts(await listing(source))["channel"] == len(fake.channels)
    assert fake.faults.remaining == 0


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("5xx", CannotConnect),
        ("reset", CannotConnect),
        ("truncated", CannotConnect),
        ("html", BadResponse),
        ("empty", BadResponse),
        ("auth", InvalidAuth),
    ],
)
async def test_persistent_playlist_faults_fail_before_any_page(
    fake: FakeM3u, base: str, mode: str, error: type[Exception]
) -> None:
    fake.faults.mode = mode
    source = await adapter({"url": xtream_url(base)})
    pages: list[ListingPage] = []
    with pytest.raises(error):
        async for page in source.listing(ListingContext()):
            pages.append(page)
    assert pages == []


async def test_configured_guide_failure_fails_the_listing(fake: FakeM3u, base: str) -> None:
    fake.faults.mode, fake.faults.only = "truncated", "guide"
    source = await adapter({"url": xtream_url(base), "epg": f"{base}/epg.xml"})
    with pytest.raises(CannotConnect):
        await listing(source)


async def test_advertised_guide_failure_is_only_a_warning(
    fake: FakeM3u, base: str, caplog: pytest.LogCaptureFixture
) -> None:
    fake.faults.mode, fake.faults.only = "html", "guide"
    ctx = ListingContext()
    source = await adapter({"url": f"{base}/playlist.m3u"})
    with caplog.at_level(logging.WARNING):
        pages = await listing(source, ctx)
    assert counts(pages)["channel"] == len(fake.channels)
    assert "programme" not in ctx.complete_types and set(ITEM_TYPES) <= ctx.complete_types
    assert "skipped the guide" in caplog.text
    assert "password" not in caplog.text and "/epg.xml" not in caplog.text


async def test_unreachable_host() -> None:
    source = await adapter({"url": "http://127.0.0.1:9/get.php?username=u&password=p"})
    with pytest.raises(CannotConnect):
        await listing(source)
    result = await source.test()
    assert not result.reachable and result.details["playlist"] == "http://127.0.0.1:9/…"


async def test_test_reports_a_reachable_playlist(base: str) -> None:
    result = await (await adapter({"url": xtream_url(base)})).test()
    assert (result.reachable, result.authenticated) == (True, True)
    assert "password" not in str(result.details)


LOCAL = """\ufeff#EXTM3U x-tvg-url="guide.xml.gz"\r
#EXTINF:-1 tvg-id="a" tvg-chno="1" group-title="Local",Alpha\r
http://h/a.ts\r
#EXTINF:-1 tvg-name="Beta_TV",Beta TV\r
http://h/b.ts\r
#EXTINF:0 tvg-type="movie",My Film (2001)\r
/media/films/my film.mkv\r
"""
LOCAL_GUIDE = """<?xml version="1.0" encoding="ISO-8859-1"?>
<tv>
<channel id="a"><display-name>Alpha</display-name></channel>
<channel id="beta.guide"><display-name>Beta TV</display-name></channel>
<channel id="zzz"><display-name>Nobody</display-name></channel>
<programme start="20300101000000 +0000" stop="20300101010000 +0000" channel="a">\
<title>Café</title></programme>
<programme start="20300101000000 +0000" stop="20300101010000 +0000" channel="beta.guide">\
<title>B</title></programme>
<programme start="20300101000000 +0000" stop="20300101010000 +0000" channel="zzz">\
<title>Z</title></programme>
</tv>
"""


async def test_local_files_with_relative_gzip_guide(tmp_path: Path) -> None:
    (tmp_path / "list.m3u").write_bytes(LOCAL.encode())
    (tmp_path / "guide.xml.gz").write_bytes(gzip.compress(LOCAL_GUIDE.encode("latin-1")))
    ctx = ListingContext()
    source = await adapter({"url": str(tmp_path / "list.m3u")})
    pages = await listing(source, ctx)
    items = {i.title: i for p in pages for i in p.items}
    assert items["My Film"].type == "movie" and items["My Film"].year == 2001
    assert items["My Film"].stream == {"url": "/media/films/my film.mkv"}
    programmes = [(p.channel_key, p.title) for page in pages for p in page.programmes]
    # by id, and by display name against tvg-name (Kodi's second pass); unknown dropped
    assert programmes == [("a", "Café"), ("Beta_TV", "B")]
    assert items["Beta TV"].epg_id == "Beta_TV"
    assert "programme" in ctx.complete_types


@pytest.mark.parametrize(
    ("content", "error"),
    [(b"", "empty"), (b"just some text\n", "does not hold"), (b"<html><body>x", "HTML")],
)
async def test_local_files_that_are_not_playlists(
    tmp_path: Path, content: bytes, error: str
) -> None:
    (tmp_path / "x.m3u").write_bytes(content)
    source = await adapter({"url": str(tmp_path / "x.m3u")})
    with pytest.raises(BadResponse, match=error):
        await listing(source)


async def test_an_empty_playlist_with_header_is_a_valid_empty_catalog(tmp_path: Path) -> None:
    (tmp_path / "x.m3u").write_bytes(b"#EXTM3U\n")
    ctx = ListingContext()
    assert counts(await listing(await adapter({"url": str(tmp_path / "x.m3u")}), ctx)) == {}
    assert set(ITEM_TYPES) <= ctx.complete_types


async def test_missing_local_file(tmp_path: Path) -> None:
    source = await adapter({"url": str(tmp_path / "nope.m3u")})
    with pytest.raises(CannotConnect, match="no file"):
        await listing(source)
    assert not (await source.test()).reachable
