"""Against the fake Xtream panel: a series' episodes fetched when its show is opened (and
the errors when the panel is down or slow), a film's cast from get_vod_info, and editing
a source's settings and credentials."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from fastapi import FastAPI

from reel.sources.base import SourceConfig
from reel.sources.http import RetryPolicy
from reel.sources.xtream.adapter import XtreamAdapter
from reel.testing.fakes.xtream import XtreamFake, XtreamFakeConfig
from reel.testing.server import free_port, serve_in_thread
from tests.web.conftest import services_of

USER, PASSWORD = "viewer", "panel-pass-42"
SEASONS, EPISODES = 2, 3


def _fake(port: int) -> XtreamFake:
    return XtreamFake(
        XtreamFakeConfig(
            live=2, vod=3, series=2, seasons=SEASONS, episodes_per_season=EPISODES,
            username=USER, password=PASSWORD, public_url=f"http://127.0.0.1:{port}",
            seed=5, quirks=False,
        )
    )  # fmt: skip


@contextmanager
def panel() -> Iterator[tuple[str, XtreamFake]]:
    port = free_port()
    fake = _fake(port)
    with serve_in_thread(fake.app, port) as url:
        yield url, fake


def _fast_adapter(config: SourceConfig) -> XtreamAdapter:
    return XtreamAdapter(config, retry=RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02))


async def _add_and_sync(app: FastAPI, admin: httpx.AsyncClient, url: str) -> dict[str, object]:
    services_of(app).sources._factory = _fast_adapter  # a dead panel fails fast
    added = await admin.post(
        "/api/sources",
        json={"kind": "xtream", "name": "IPTV", "settings": {"url": url},
              "secrets": {"username": USER, "password": PASSWORD}},
    )  # fmt: skip
    assert added.status_code == 201, added.text
    assert (await admin.post("/api/sync", json={"sources": ["IPTV"]})).status_code == 202
    await services_of(app).syncs.wait()
    source: dict[str, object] = added.json()
    return source


async def _first(admin: httpx.AsyncClient, item_type: str) -> dict[str, object]:
    page = (await admin.get("/api/items", params={"type": item_type})).json()
    item: dict[str, object] = page["items"][0]
    return item


async def test_opening_a_series_fetches_its_episodes(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    with panel() as (url, fake):
        await _add_and_sync(app, admin, url)
        show = await _first(admin, "show")
        before = (await admin.get(f"/api/items/{show['id']}")).json()
        assert before["children"] == [] and before["children_pending"] is True
        fake.reset_log()
        both = await asyncio.gather(
            admin.post(f"/api/items/{show['id']}/children"),
            admin.post(f"/api/items/{show['id']}/children"),
        )
        assert all(r.status_code == 200 for r in both), both[0].text
        assert len(fake.calls("get_series_info")) == 1  # opened twice at once: one fetch
        after = both[0].json()
        assert after["children_pending"] is False
        assert [s["season"] for s in after["children"]] == list(range(1, SEASONS + 1))
        for season in after["children"]:
            assert [e["episode"] for e in season["children"]] == list(range(1, EPISODES + 1))
        stored = (await admin.get(f"/api/items/{show['id']}")).json()
        assert stored["children"] == after["children"]
        movie = await _first(admin, "movie")
        refused = await admin.post(f"/api/items/{movie['id']}/children")
        assert refused.status_code == 400 and "open its show" in refused.json()["error"]


async def test_series_episodes_when_the_panel_is_down_or_slow(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    svc = services_of(app)
    with panel() as (url, fake):
        await _add_and_sync(app, admin, url)
        shows = (await admin.get("/api/items", params={"type": "show"})).json()["items"]
        svc.children.timeout = 0.15
        fake.faults.set("slow", delay=0.5, actions={"get_series_info"})
        slow = await admin.post(f"/api/items/{shows[0]['id']}/children")
        assert slow.status_code == 503, slow.text
        assert "took more than" in slow.json()["error"] and slow.headers["Retry-After"]
        # The fetch carries on and stores the episodes once the panel answers.
        for _ in range(100):
            if not svc.children._running:
                break
            await asyncio.sleep(0.05)
        later = (await admin.get(f"/api/items/{shows[0]['id']}")).json()
        assert later["children"] and later["children_pending"] is False
        fake.faults.clear()
    svc.children.timeout = 30
    down = await admin.post(f"/api/items/{shows[1]['id']}/children")
    assert down.status_code == 503, down.text
    message = down.json()["error"]
    assert "IPTV cannot be reached" in message and shows[1]["title"] in message
    # What the catalog has is still served.
    assert (await admin.get(f"/api/items/{shows[1]['id']}")).json()["children"] == []


async def test_film_cast_and_runtime_from_vod_info(app: FastAPI, admin: httpx.AsyncClient) -> None:
    with panel() as (url, fake):
        await _add_and_sync(app, admin, url)
        movie = await _first(admin, "movie")
        fake.reset_log()
        first = (await admin.get(f"/api/items/{movie['id']}")).json()
        assert [p["name"] for p in first["cast"]] == ["Akshaye Khanna", "Shahid Kapoor"]
        assert first["duration_ms"] and first["duration_ms"] >= 5400 * 1000
        assert first["sources"] == [{"id": movie["id"], "source": "IPTV", "status": "ok"}]
        again = (await admin.get(f"/api/items/{movie['id']}")).json()
        assert again["cast"] == first["cast"]
        assert len(fake.calls("get_vod_info")) == 1  # cached
    services_of(app).vod_info.clear()
    with services_of(app).db.engine.begin() as conn:
        from sqlalchemy import text

        conn.execute(text("UPDATE sources SET status = 'offline'"))
    offline = await admin.get(f"/api/items/{movie['id']}")
    assert offline.status_code == 200 and offline.json()["cast"] == []  # not even tried


async def test_source_settings_and_edits(app: FastAPI, admin: httpx.AsyncClient) -> None:
    with panel() as (url, _fake):
        source = await _add_and_sync(app, admin, url)
        sid = source["id"]
        listed = (await admin.get("/api/sources")).json()[0]
        assert listed["settings"]["url"] == url
        assert listed["secrets"] == {"username": "set", "password": "set"}
        assert PASSWORD not in str(listed) and "device_id" not in listed["settings"]

        wrong = await admin.patch(f"/api/sources/{sid}", json={"secrets": {"password": "nope"}})
        assert wrong.status_code in (400, 502), wrong.text
        assert (await admin.post(f"/api/sources/{sid}/test")).json()["authenticated"] is True

        taken = await admin.post(
            "/api/sources",
            json={"kind": "xtream", "name": "Other", "settings": {"url": url},
                  "secrets": {"username": USER, "password": PASSWORD}},
        )  # fmt: skip
        assert taken.status_code == 201
        clash = await admin.patch(f"/api/sources/{sid}", json={"name": "Other"})
        assert clash.status_code == 409

        edited = await admin.patch(
            f"/api/sources/{sid}",
            json={"name": "Renamed", "settings": {"url": url + "/player_api.php"},
                  "secrets": {"username": "", "password": PASSWORD}, "sync_interval_s": 3600},
        )  # fmt: skip
        assert edited.status_code == 200, edited.text
        body = edited.json()
        assert body["name"] == "Renamed" and body["sync_interval_s"] == 3600
        assert body["settings"]["url"] == url  # normalised by the re-sign-in
        assert body["secrets"] == {"username": "set", "password": "set"}
        assert (await admin.post(f"/api/sources/{sid}/test")).json()["authenticated"] is True
        items = (await admin.get("/api/items", params={"source": "Renamed"})).json()
        assert items["items"]


@pytest.mark.parametrize("body", [{"name": ""}, {"sync_interval_s": 5}])
async def test_source_edit_validation(admin: httpx.AsyncClient, body: dict[str, object]) -> None:
    assert (await admin.patch("/api/sources/1", json=body)).status_code == 422
