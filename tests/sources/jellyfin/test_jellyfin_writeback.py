"""Watch state written back, stream and artwork requests, and the one header form."""

from __future__ import annotations

import re

import httpx

from reel.sources.jellyfin.adapter import JellyfinAdapter
from reel.testing.fakes.jellyfin import TINY_PNG, FakeJellyfin

HEADER = re.compile(
    r'^MediaBrowser Client="Reel", Device="Reel", DeviceId="reel-test-device", '
    r'Version="[^"]+", Token="[0-9a-f]+"$'
)


async def test_every_request_uses_the_mediabrowser_header_only(
    fake: FakeJellyfin, adapter: JellyfinAdapter, run_listing: object
) -> None:
    fake.requests.clear()
    from reel.sources.base import ListingContext

    await run_listing(adapter, ListingContext(full=True))  # type: ignore[operator]
    await adapter.set_played(fake.ids("Movie")[0], "movie", True)
    assert fake.requests
    for _, path, headers in fake.requests:
        assert HEADER.match(headers["authorization"]), path
        assert not {h for h in headers if h.startswith("x-emby") or h.startswith("x-mediabrowser")}
        assert "api_key" not in headers[":query"].lower()
        assert "apikey" not in headers[":query"].lower()


async def test_set_played_and_unplayed(fake: FakeJellyfin, adapter: JellyfinAdapter) -> None:
    owner = fake.owner.id
    item = next(i for i in fake.ids("Episode") if not fake.data.data_for(owner, i).played)
    await adapter.set_played(item, "episode", True)
    data = fake.data.data_for(owner, item)
    assert data.played and data.play_count >= 1
    await adapter.set_played(item, "episode", False)
    assert not fake.data.data_for(owner, item).played
    assert fake.requests[-1][0] == "DELETE"
    assert fake.requests[-1][1] == f"/userplayeditems/{item}"


async def test_progress_start_progress_stop(fake: FakeJellyfin, adapter: JellyfinAdapter) -> None:
    owner = fake.owner.id
    item = next(i for i in fake.ids("Movie") if not fake.data.data_for(owner, i).played)
    runtime_ms = fake.data.items[item].runtime_ticks // 10_000
    await adapter.report_progress(item, "movie", 60_000, runtime_ms, "playing")
    await adapter.report_progress(item, "movie", 600_000, runtime_ms, "paused")
    assert fake.data.data_for(owner, item).position_ticks == 600_000 * 10_000
    await adapter.report_progress(item, "movie", 900_000, runtime_ms, "stopped")
    assert fake.data.data_for(owner, item).position_ticks == 900_000 * 10_000
    events = [(e, b.get("ispaused")) for e, b in fake.playback_reports]
    assert events == [("start", False), ("progress", True), ("stopped", None)]
    assert len({b["playsessionid"] for _, b in fake.playback_reports}) == 1

    # stopping near the end marks it played, as the server's resume rules say
    await adapter.report_progress(item, "movie", int(runtime_ms * 0.95), runtime_ms, "stopped")
    data = fake.data.data_for(owner, item)
    assert data.played and data.position_ticks == 0


async def test_direct_stream_url_needs_no_token(
    fake: FakeJellyfin, adapter: JellyfinAdapter
) -> None:
    item = fake.ids("Movie")[0]
    url = adapter.stream_url(item, "movie", {"media_source_id": item})
    assert f"/Videos/{item}/stream?static=true" in url
    assert "token" not in url.lower() and "api" not in url.lower()
    async with httpx.AsyncClient() as client:
        response = await client.get(url, headers={"Range": "bytes=100-199"})
    assert response.status_code == 206
    assert len(response.content) == 100
    assert response.headers["content-range"] == f"bytes 100-199/{fake.config.stream_size}"


async def test_hls_goes_through_a_proxy_with_the_header(
    fake: FakeJellyfin, adapter: JellyfinAdapter
) -> None:
    item = fake.ids("Episode")[0]
    url, headers = adapter.stream_request(item, "episode", {"media_source_id": item}, "hls")
    assert f"/Videos/{item}/master.m3u8?" in url and f"mediaSourceId={item}" in url
    async with httpx.AsyncClient() as client:
        assert (await client.get(url)).status_code == 401  # a bare <video src> would fail
        response = await client.get(url, headers=headers)
    assert response.status_code == 200
    assert response.text.startswith("#EXTM3U")


async def test_image_request(fake: FakeJellyfin, adapter: JellyfinAdapter) -> None:
    item = fake.data.items[fake.ids("Movie")[0]]
    ref = f"/Items/{item.id}/Images/Primary?tag={item.image_tags['Primary']}"
    url, headers = adapter.image_request(ref)
    async with httpx.AsyncClient() as client:
        response = await client.get(url, headers=headers)
    assert response.status_code == 200 and response.content == TINY_PNG
