"""Against the fake Xtream panel: add a source, sync it from the API, stream (Range, HLS)
through the proxy, and serve artwork from the cache — also once the panel is gone."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from reel.errors import Forbidden
from reel.testing.fakes.xtream import XtreamFake, XtreamFakeConfig
from reel.testing.server import free_port, serve_in_thread
from reel.web.proxy import BadGateway, StreamProxy, Target, origin
from tests.web.conftest import services_of

USER, PASSWORD = "streamer", "s3cret-pass"


@dataclass
class Panel:
    url: str
    fake: XtreamFake
    stop: object


@pytest.fixture
def panel() -> Iterator[Panel]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config = XtreamFakeConfig(
        live=3, vod=3, series=1, seasons=1, episodes_per_season=2,
        username=USER, password=PASSWORD, public_url=url, seed=3,
    )  # fmt: skip
    fake = XtreamFake(config)
    with serve_in_thread(fake.app, port) as served:
        yield Panel(url=served, fake=fake, stop=None)


class Counter:
    """A server that must never be contacted: it counts every request."""

    def __init__(self) -> None:
        self.hits = 0

        async def any_path(request: Request) -> Response:
            self.hits += 1
            return PlainTextResponse("leaked")

        self.app = Starlette(routes=[Route("/{path:path}", any_path)])


async def _synced_source(app: FastAPI, admin: httpx.AsyncClient, panel: Panel) -> None:
    added = await admin.post(
        "/api/sources",
        json={"kind": "xtream", "name": "IPTV", "settings": {"url": panel.url},
              "secrets": {"username": USER, "password": PASSWORD}},
    )  # fmt: skip
    assert added.status_code == 201, added.text
    assert PASSWORD not in added.text
    started = await admin.post("/api/sync", json={"sources": ["IPTV"]})
    assert started.status_code == 202 and started.json() == {"started": ["IPTV"]}
    await services_of(app).syncs.wait()
    runs = (await admin.get("/api/sync/history")).json()["runs"]
    assert runs[0]["status"] == "ok", runs[0]
    assert (await admin.get("/api/sync")).json() == {"running": []}


async def _first(admin: httpx.AsyncClient, item_type: str) -> dict[str, object]:
    page = (await admin.get("/api/items", params={"type": item_type, "source": "IPTV"})).json()
    assert page["items"], item_type
    item: dict[str, object] = page["items"][0]
    return item


async def test_stream_range_and_hls_through_the_proxy(
    app: FastAPI, admin: httpx.AsyncClient, panel: Panel
) -> None:
    await _synced_source(app, admin, panel)
    movie = await _first(admin, "movie")
    play = await admin.get(f"/api/items/{movie['id']}/play")
    assert play.status_code == 200
    assert PASSWORD not in play.text and USER not in play.text
    url = play.json()["url"]
    whole = await admin.get(url)
    assert whole.status_code == 200 and whole.content[4:8] == b"ftyp"
    part = await admin.get(url, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 0-99/{len(whole.content)}"
    assert part.content == whole.content[:100]

    channel = await _first(admin, "channel")
    live = await admin.get(f"/api/items/{channel['id']}/play")
    assert live.json()["live"] is True and live.json()["mode"] == "hls"
    playlist = await admin.get(live.json()["url"])
    assert playlist.status_code == 200
    assert "mpegurl" in playlist.headers["content-type"]
    assert PASSWORD not in playlist.text and panel.url not in playlist.text
    segments = [line for line in playlist.text.splitlines() if line and not line.startswith("#")]
    assert segments and all(
        s.startswith(f"/api/items/{channel['id']}/stream/seg?") for s in segments
    )
    segment = await admin.get(segments[0])
    assert segment.status_code == 200 and segment.content[:1] == b"\x47"  # MPEG-TS sync byte


async def test_proxy_refuses_other_hosts(
    app: FastAPI, admin: httpx.AsyncClient, panel: Panel
) -> None:
    await _synced_source(app, admin, panel)
    channel = await _first(admin, "channel")
    svc = services_of(app)
    other = Counter()
    with serve_in_thread(other.app) as other_url:
        # A forged reference: right item, unsigned URL of another host.
        ref = base64.urlsafe_b64encode(f"{other_url}/x.ts".encode()).decode().rstrip("=")
        forged = await admin.get(
            f"/api/items/{channel['id']}/stream/seg", params={"u": ref, "s": "0" * 32}
        )
        assert forged.status_code == 403
        # Even a correctly signed reference may not leave the item's source.
        signed = svc.proxy.segment_path(int(channel["id"]), f"{other_url}/x.ts")  # type: ignore[call-overload]
        refused = await admin.get(signed)
        assert refused.status_code == 403
        assert "own source" in refused.json()["error"]
        # A reference signed for one item does not work for another.
        movie = await _first(admin, "movie")
        moved = signed.replace(f"/items/{channel['id']}/", f"/items/{movie['id']}/")
        assert (await admin.get(moved)).status_code == 403
    assert other.hits == 0


async def test_proxy_does_not_follow_redirects_off_the_source() -> None:
    other = Counter()
    with serve_in_thread(other.app) as other_url:

        async def hop(request: Request) -> Response:
            return RedirectResponse(f"{other_url}/stolen.mp4", status_code=302)

        upstream = Starlette(routes=[Route("/movie.mp4", hop)])
        with serve_in_thread(upstream) as up_url:
            proxy = StreamProxy(b"k" * 32)
            target = Target(
                url=f"{up_url}/movie.mp4", headers={}, allowed=frozenset({origin(up_url)})
            )
            with pytest.raises(BadGateway):
                await proxy.forward(1, target.url, target, {})
            with pytest.raises(Forbidden):
                await proxy.forward(1, f"{other_url}/x", target, {})
            await proxy.close()
    assert other.hits == 0


async def test_images_are_cached_and_served_offline(
    app: FastAPI, admin: httpx.AsyncClient, db_url: str, tmp_path: object
) -> None:
    svc = services_of(app)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config = XtreamFakeConfig(
        live=2, vod=3, series=0, username=USER, password=PASSWORD, public_url=url, seed=4
    )
    fake = XtreamFake(config)
    with serve_in_thread(fake.app, port):
        await _synced_source(app, admin, Panel(url=url, fake=fake, stop=None))
        page = (await admin.get("/api/items", params={"type": "movie"})).json()["items"]
        with_art = [i for i in page if i["artwork"]]
        assert len(with_art) >= 2
        first, second = with_art[0], with_art[1]
        kind = next(iter(first["artwork"]))
        image = await admin.get(f"/api/items/{first['id']}/image/{kind}")
        assert image.status_code == 200, image.text
        assert image.headers["content-type"] == "image/png"
        assert "immutable" in image.headers["cache-control"]
        etag = image.headers["etag"]
        cached = await admin.get(
            f"/api/items/{first['id']}/image/{kind}", headers={"If-None-Match": etag}
        )
        assert cached.status_code == 304
    files = list((svc.settings.assets_dir / "cache").glob("??/??/*.png"))
    assert [f.name for f in files] == [etag.strip('"') + ".png"]
    # The panel is gone: the cached poster still shows, an uncached one explains why not.
    offline = await admin.get(f"/api/items/{first['id']}/image/{kind}")
    assert offline.status_code == 200 and offline.content == image.content
    kind2 = next(iter(second["artwork"]))
    missing = await admin.get(f"/api/items/{second['id']}/image/{kind2}")
    assert missing.status_code == 503
    assert "cannot be reached" in missing.json()["error"]
    none = await admin.get(f"/api/items/{first['id']}/image/nonexistent")
    assert none.status_code == 404
