"""Browsing, search, details, the guide, and per-user watch state through the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert, select

from reel.catalog.models import Item, Programme, Source
from reel.testing.catalog_gen import generate_catalog
from tests.web.conftest import UserClient, services_of


@pytest.fixture
def catalog(app: FastAPI) -> dict[str, int]:
    svc = services_of(app)
    generate_catalog(svc.db, 400, seed=5)
    with svc.db.session() as session:
        show = session.scalar(select(Item.id).where(Item.type == "show").order_by(Item.id))
        movie = session.scalar(
            select(Item.id)
            .join(Source, Source.id == Item.source_id)
            .where(Item.type == "movie", Item.duration_ms.is_not(None), Source.kind == "plex")
            .order_by(Item.id)
        )
        channels = session.execute(
            select(Item.id, Item.epg_id, Item.source_id)
            .where(Item.type == "channel")
            .order_by(Item.channel_number)
            .limit(2)
        ).all()
    now = datetime.now(UTC).replace(microsecond=0)
    with svc.db.engine.begin() as conn:
        for _cid, epg, source_id in channels:
            conn.execute(
                insert(Programme),
                [
                    {"source_id": source_id, "channel_key": epg, "title": f"{epg} {k}",
                     "start": now + timedelta(hours=k - 1), "stop": now + timedelta(hours=k)}
                    for k in range(6)
                ],
            )  # fmt: skip
    assert show is not None and movie is not None
    return {
        "show": show,
        "movie": movie,
        "channel": channels[0][0],
        "channel2": channels[1][0],
        "now": int(now.timestamp()),
    }


async def test_items_pages_follow_the_cursor(
    admin: httpx.AsyncClient, catalog: dict[str, int]
) -> None:
    first = (await admin.get("/api/items", params={"type": "movie", "limit": 20})).json()
    assert len(first["items"]) == 20 and first["next"]
    second = (
        await admin.get("/api/items", params={"type": "movie", "limit": 20, "after": first["next"]})
    ).json()
    ids = {i["id"] for i in first["items"]} | {i["id"] for i in second["items"]}
    assert len(ids) == 40
    assert all(i["type"] == "movie" for i in second["items"])
    by_year = (
        await admin.get("/api/items", params={"type": "movie", "sort": "year", "desc": "true"})
    ).json()
    years = [i["year"] or -1 for i in by_year["items"]]
    assert years == sorted(years, reverse=True)
    bad = await admin.get("/api/items", params={"after": "garbage"})
    assert bad.status_code == 400 and "cursor" in bad.json()["error"]


async def test_search_and_details(admin: httpx.AsyncClient, catalog: dict[str, int]) -> None:
    found = (await admin.get("/api/search", params={"q": "godfathr"})).json()
    assert found["items"] and found["items"][0]["title"].startswith("The Godfather")
    show = (await admin.get(f"/api/items/{catalog['show']}")).json()
    assert show["type"] == "show"
    assert [s["season"] for s in show["children"]] == [1, 2, 3]
    assert len(show["children"][0]["children"]) == 8
    missing = await admin.get("/api/items/999999999")
    assert missing.status_code == 404 and "999999999" in missing.json()["error"]


async def test_taxonomy_lists(admin: httpx.AsyncClient, catalog: dict[str, int]) -> None:
    libraries = (await admin.get("/api/libraries")).json()
    assert {lib["title"] for lib in libraries} >= {"Movies", "TV Shows", "Live TV"}
    assert sum(lib["count"] for lib in libraries) > 0
    categories = (await admin.get("/api/categories", params={"kind": "live"})).json()
    assert categories and all(c["kind"] == "live" for c in categories)
    genres = (await admin.get("/api/genres", params={"type": "movie"})).json()
    assert "Drama" in genres


async def test_now_next_and_guide(admin: httpx.AsyncClient, catalog: dict[str, int]) -> None:
    ids = [catalog["channel"], catalog["channel2"]]
    now = (await admin.get("/api/epg/now", params={"channel": ids})).json()
    assert [c["id"] for c in now["channels"]] == ids
    for entry in now["channels"]:
        assert entry["now"]["title"].endswith(" 1") and entry["next"]["title"].endswith(" 2")
    at = datetime.fromtimestamp(catalog["now"] + 1800, UTC).isoformat()
    guide = (await admin.get("/api/guide", params={"channel": ids, "hours": 1, "at": at})).json()
    first = guide["channels"][0]["programmes"]
    assert [p["title"].split()[-1] for p in first] == ["1", "2"]
    assert first[0]["start"].endswith("Z")
    too_long = await admin.get("/api/guide", params={"hours": 100})
    assert too_long.status_code == 422


async def test_watch_state_is_per_user(
    admin: httpx.AsyncClient, user_client: UserClient, catalog: dict[str, int]
) -> None:
    bob = await user_client("bob")
    movie = catalog["movie"]
    saved = await admin.put(f"/api/items/{movie}/progress", json={"position_ms": 60_000})
    assert saved.status_code == 200 and saved.json()["position_ms"] == 60_000
    assert (await bob.get(f"/api/items/{movie}/state")).json()["position_ms"] == 0
    assert (await admin.get(f"/api/items/{movie}")).json()["position_ms"] == 60_000
    assert (await bob.get(f"/api/items/{movie}")).json()["position_ms"] == 0
    cont = (await admin.get("/api/continue")).json()["items"]
    assert [i["id"] for i in cont] == [movie]
    assert (await bob.get("/api/continue")).json()["items"] == []
    await bob.put(f"/api/items/{movie}/watched", json={"played": True})
    assert (await bob.get(f"/api/items/{movie}/state")).json()["played"] is True
    assert (await admin.get(f"/api/items/{movie}/state")).json()["played"] is False
    watched = (await bob.get("/api/items", params={"type": "movie", "watched": "true"})).json()
    assert [i["id"] for i in watched["items"]] == [movie]


async def test_progress_near_the_end_marks_watched(
    admin: httpx.AsyncClient, catalog: dict[str, int]
) -> None:
    movie = catalog["movie"]
    state = (await admin.get(f"/api/items/{movie}/state")).json()
    duration = state["duration_ms"]
    done = (
        await admin.put(f"/api/items/{movie}/progress", json={"position_ms": int(duration * 0.95)})
    ).json()
    assert done["played"] is True and done["play_count"] == 1 and done["position_ms"] == 0
    # The generated Plex source takes write-back: the admin's change is queued for it.
    assert done["pending_write_back"] is True


async def test_marking_a_show_marks_its_episodes_and_next_up(
    admin: httpx.AsyncClient, catalog: dict[str, int]
) -> None:
    show = (await admin.get(f"/api/items/{catalog['show']}")).json()
    season1 = show["children"][0]
    first, second = season1["children"][0], season1["children"][1]
    await admin.put(
        f"/api/items/{first['id']}/progress", json={"position_ms": first["duration_ms"]}
    )
    up = (await admin.get("/api/next-up")).json()["items"]
    assert [i["id"] for i in up] == [second["id"]]
    marked = await admin.put(f"/api/items/{season1['id']}/watched", json={"played": True})
    assert marked.status_code == 200
    again = (await admin.get(f"/api/items/{catalog['show']}")).json()
    assert all(e["played"] for e in again["children"][0]["children"])
    assert not any(e["played"] for e in again["children"][1]["children"])
    up = (await admin.get("/api/next-up")).json()["items"]
    assert [i["season"] for i in up] == [2] and up[0]["episode"] == 1
    recent = (await admin.get("/api/recent", params={"limit": 5})).json()["items"]
    added = [i["added_at"] for i in recent]
    assert len(recent) == 5 and added == sorted(added, reverse=True)


async def test_progress_on_a_show_is_refused(
    admin: httpx.AsyncClient, catalog: dict[str, int]
) -> None:
    response = await admin.put(f"/api/items/{catalog['show']}/progress", json={"position_ms": 5})
    assert response.status_code == 400
    assert "episode" in response.json()["error"]
