"""The fake panel itself: deterministic, shaped like the captures, streams that play."""

from __future__ import annotations

import argparse
import json

import httpx
import pytest

from reel.testing.fakes.xtream import XtreamFake, XtreamFakeConfig, add_arguments, create, media
from reel.testing.fakes.xtream.render import listing, php_json


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    first, again = XtreamFake(XtreamFakeConfig(seed=3)), XtreamFake(XtreamFakeConfig(seed=3))
    other = XtreamFake(XtreamFakeConfig(seed=4))
    for action in ("get_live_streams", "get_vod_streams", "get_series"):
        body = php_json(listing(first.catalog, action))
        assert body == php_json(listing(again.catalog, action))
        assert body != php_json(listing(other.catalog, action))
        assert b"\\/" in body and b"http://" not in body  # PHP json_encode escapes slashes


def test_quirks_are_sprinkled_and_can_be_switched_off() -> None:
    quirky = XtreamFake(XtreamFakeConfig(live=300, vod=300, series=60)).catalog
    vod = listing(quirky, "get_vod_streams")
    assert len(vod) > quirky.count("vod")  # duplicates
    assert {type(e["stream_id"]) for e in vod} == {int, str}
    assert {type(e["rating"]) for e in vod} >= {str, float, int, type(None)}
    assert any(e["category_id"] is None for e in vod) and any(e["name"] == "" for e in vod)
    assert any(not e["name"].isascii() for e in vod)
    layouts = {quirky.episodes_layout(i) for i in quirky.indexes("series")}
    assert layouts == {"dict", "lists", "flat", "none"}
    clean = XtreamFake(XtreamFakeConfig(live=300, vod=300, quirks=False)).catalog
    vod = listing(clean, "get_vod_streams")
    assert len(vod) == 300 and {type(e["stream_id"]) for e in vod} == {int}
    assert all(e["name"] and e["category_id"] for e in vod)


def test_mutations_are_deterministic_and_reported() -> None:
    a, b = XtreamFake().catalog, XtreamFake().catalog
    assert a.remove("vod", 5) == b.remove("vod", 5)
    assert a.count("vod") == 55
    assert a.rename("live", 2) == b.rename("live", 2)
    assert a.add("series", 2) == [str(a.stream_id("series", 12)), str(a.stream_id("series", 13))]
    touched = a.touch_series(3)
    i = int(touched[0]) - a.stream_id("series", 0)
    assert a.episode_count(i, a.config.seasons) == a.config.episodes_per_season + 1


async def test_http_surface(fake: XtreamFake) -> None:
    cfg = fake.config
    base, auth = cfg.public_url, {"username": cfg.username, "password": cfg.password}
    async with httpx.AsyncClient(base_url=base) as http:
        account = (await http.get("/player_api.php", params=auth)).json()
        assert (
            account["user_info"]["auth"] == 1 and account["server_info"]["timezone"] == cfg.timezone
        )
        bad = await http.get("/player_api.php", params={**auth, "password": "x"})
        assert bad.status_code == 200 and bad.json() == {"user_info": {"auth": 0}}
        posted = await http.post("/player_api.php", data={**auth, "action": "get_vod_categories"})
        assert len(posted.json()) == cfg.vod_categories
        info = await http.get(
            "/player_api.php", params={**auth, "action": "get_vod_info", "vod_id": "1"}
        )
        assert info.json() == {"info": []}
        series = await http.get(
            "/player_api.php", params={**auth, "action": "get_series_info", "series_id": "1"}
        )
        assert series.json() == []
        cat_id = fake.catalog.category_of("vod", 0)
        one = await http.get(
            "/player_api.php", params={**auth, "action": "get_vod_streams", "category_id": cat_id}
        )
        assert one.json() and all(e["category_ids"] == [int(cat_id)] for e in one.json())
        guide = await http.get("/xmltv.php", params=auth)
        assert (
            guide.text.startswith("<?xml") and "&amp;" in guide.text and "<programme" in guide.text
        )
        movie = f"/movie/{cfg.username}/{cfg.password}/{fake.catalog.stream_id('vod', 0)}.mp4"
        whole = await http.get(movie)
        assert whole.content == media.mp4_bytes() and whole.headers["accept-ranges"] == "bytes"
        tail = await http.get(movie, headers={"Range": "bytes=-10"})
        assert tail.status_code == 206 and tail.content == media.mp4_bytes()[-10:]
        assert (await http.get(movie, headers={"Range": "bytes=999999-"})).status_code == 416
        assert (await http.get(f"/movie/{cfg.username}/nope/1000000.mp4")).status_code == 403
        assert (await http.get(f"/movie/{cfg.username}/{cfg.password}/42.mp4")).status_code == 404
        png = await http.get("/images/vod/1.png")
        assert png.content.startswith(b"\x89PNG")


async def test_faults_switch_on_and_off(fake: XtreamFake) -> None:
    cfg = fake.config
    params = {"username": cfg.username, "password": cfg.password, "action": "get_live_streams"}
    async with httpx.AsyncClient(base_url=cfg.public_url) as http:
        fake.faults.set("truncate")
        cut = await http.get("/player_api.php", params=params)
        with pytest.raises(json.JSONDecodeError):
            json.loads(cut.content)
        fake.faults.set("reset", times=1)
        with pytest.raises(httpx.TransportError):
            await http.get("/player_api.php", params=params)
        assert (
            await http.get("/player_api.php", params=params)
        ).status_code == 200  # times=1 used up
        fake.faults.set("drop")
        with pytest.raises(httpx.RemoteProtocolError):
            await http.get("/player_api.php", params=params)
        fake.faults.set("error", status=500, actions={"get_series"})
        assert (await http.get("/player_api.php", params=params)).status_code == 200
        fake.faults.clear()
        assert len((await http.get("/player_api.php", params=params)).json()) > cfg.live


def test_media_is_real_video() -> None:
    mp4, ts = media.mp4_bytes(), media.ts_bytes()
    assert mp4[4:8] == b"ftyp" and b"moov" in mp4[:200]  # faststart: index before the data
    assert len(ts) % 188 == 0 and all(ts[i] == 0x47 for i in range(0, len(ts), 188))


def test_command_line_options() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(
        ["--live", "5", "--vod", "6", "--series", "2", "--formats", "m3u8", "--no-quirks"]
    )
    server = create(args, base_url="http://127.0.0.1:9")
    assert server.credentials == {"username": "reel", "password": "reel-pass"}
    assert callable(server.app)
