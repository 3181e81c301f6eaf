"""What the UI asked for beyond the catalog's shapes: totals on item pages, cast from
identification, other sources of a title, "live now" without a filter, durations from
playback for progress bars, and watch-state writes under concurrency."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import OperationalError

from reel.catalog.models import Item, Programme, Source
from reel.catalog.models_metadata import ItemMetadata
from reel.testing.catalog_gen import generate_catalog
from reel.web.routes import catalog as catalog_routes
from tests.web.conftest import UserClient, services_of


@pytest.fixture
def gen(app: FastAPI) -> FastAPI:
    generate_catalog(services_of(app).db, 300, seed=9)
    return app


def _movies(app: FastAPI, n: int) -> list[Any]:
    with services_of(app).db.session() as session:
        return list(
            session.execute(
                select(Item.id, Item.source_id)
                .where(Item.type == "movie")
                .order_by(Item.source_id, Item.id)
                .limit(n)
            ).all()
        )


async def test_first_page_has_a_capped_total(
    gen: FastAPI, admin: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    with services_of(gen).db.session() as session:
        movies = session.scalar(select(func.count()).where(Item.type == "movie"))
    first = (await admin.get("/api/items", params={"type": "movie", "limit": 10})).json()
    assert first["total"] == movies and first["total_capped"] is False
    params = {"type": "movie", "after": first["next"]}
    second = (await admin.get("/api/items", params=params)).json()
    assert "total" not in second  # counted on the first page only
    whole = (await admin.get("/api/items", params={"type": "movie", "limit": 500})).json()
    assert whole["next"] is None and whole["total"] == len(whole["items"]) == movies
    monkeypatch.setattr(catalog_routes, "TOTAL_CAP", 7)
    capped = (await admin.get("/api/items", params={"type": "movie", "limit": 5})).json()
    assert capped["total"] == 7 and capped["total_capped"] is True
    genre = (await admin.get("/api/genres", params={"type": "movie"})).json()[0]
    some = (await admin.get("/api/items", params={"genre": genre, "limit": 500})).json()
    assert some["total"] == len(some["items"])


async def test_cast_and_the_sources_of_a_title(gen: FastAPI, admin: httpx.AsyncClient) -> None:
    svc = services_of(gen)
    movies = _movies(gen, 400)
    by_source: dict[int, int] = {}
    for movie_id, source_id in movies:
        by_source.setdefault(source_id, movie_id)
    first, second = list(by_source.values())[:2]
    with svc.db.engine.begin() as conn:
        conn.execute(update(Item).where(Item.id.in_([first, second])).values(tmdb_id="990001"))
        conn.execute(
            insert(ItemMetadata).values(
                item_id=first,
                status="enriched",
                values={"cast": [{"name": "Ann Actor", "role": "Herself", "order": 0}]},
            )
        )
    body = (await admin.get(f"/api/items/{first}")).json()
    assert body["cast"] == [{"name": "Ann Actor", "role": "Herself", "image": None}]
    assert [s["id"] for s in body["sources"]] == [first, second]
    assert {s["source"] for s in body["sources"]} == {body["source"]} | {
        (await admin.get(f"/api/items/{second}")).json()["source"]
    }
    assert all("status" in s for s in body["sources"])
    other = (await admin.get(f"/api/items/{second}")).json()
    assert [s["id"] for s in other["sources"]] == [second, first]
    plain = next(m for m, _ in movies if m not in (first, second))
    alone = (await admin.get(f"/api/items/{plain}")).json()
    assert [s["id"] for s in alone["sources"]] == [plain] and alone["cast"] == []


async def test_live_now_without_a_filter(gen: FastAPI, admin: httpx.AsyncClient) -> None:
    svc = services_of(gen)
    with svc.db.session() as session:
        channels = session.execute(
            select(Item.id, Item.epg_id, Item.source_id)
            .where(Item.type == "channel", Item.epg_id.is_not(None))
            .order_by(Item.id.desc())
            .limit(3)
        ).all()
    now = datetime.now(UTC).replace(microsecond=0)
    on_air, later = channels[:2], channels[2]
    with svc.db.engine.begin() as conn:
        rows = [
            {"source_id": c.source_id, "channel_key": c.epg_id, "title": f"{c.id} now",
             "start": now - timedelta(minutes=10), "stop": now + timedelta(minutes=50)}
            for c in on_air
        ] + [
            {"source_id": later.source_id, "channel_key": later.epg_id, "title": "tonight",
             "start": now + timedelta(hours=3), "stop": now + timedelta(hours=4)}
        ]  # fmt: skip
        conn.execute(insert(Programme), rows)
    live = (await admin.get("/api/epg/now", params={"limit": 20})).json()["channels"]
    assert sorted(c["id"] for c in live) == sorted(c.id for c in on_air)
    for entry in live:
        assert entry["now"]["title"] == f"{entry['id']} now"
        assert isinstance(entry["source"], str) and isinstance(entry["artwork"], dict)
    one = (await admin.get("/api/epg/now", params={"limit": 1})).json()["channels"]
    assert len(one) == 1
    named = (await admin.get("/api/epg/now", params={"channel": [later.id]})).json()
    assert named["channels"][0]["now"] is None and named["channels"][0]["next"]["title"]


async def test_progress_bars_get_the_reported_duration(
    gen: FastAPI, admin: httpx.AsyncClient
) -> None:
    svc = services_of(gen)
    movie = _movies(gen, 1)[0][0]
    with svc.db.engine.begin() as conn:
        conn.execute(update(Item).where(Item.id == movie).values(duration_ms=None))
    put = await admin.put(
        f"/api/items/{movie}/progress", json={"position_ms": 60_000, "duration_ms": 5_400_000}
    )
    assert put.status_code == 200, put.text
    cont = (await admin.get("/api/continue")).json()["items"]
    assert [(i["id"], i["duration_ms"], i["position_ms"]) for i in cont] == [
        (movie, 5_400_000, 60_000)
    ]
    assert (await admin.get(f"/api/items/{movie}")).json()["duration_ms"] == 5_400_000


async def test_concurrent_progress_reports_never_fail(
    gen: FastAPI, admin: httpx.AsyncClient, user_client: UserClient
) -> None:
    movies = [m for m, _ in _movies(gen, 6)]
    clients = [admin, await user_client("bea"), await user_client("cem")]
    calls = [
        client.put(f"/api/items/{movie}/progress", json={"position_ms": 1000 * (k + 1)})
        for k in range(4)
        for client in clients
        for movie in movies
    ]
    answers = await asyncio.gather(*calls)
    assert {r.status_code for r in answers} == {200}, [r.text for r in answers if r.is_error]
    for client in clients:
        cont = (await client.get("/api/continue")).json()["items"]
        assert sorted(i["id"] for i in cont) == sorted(movies)


async def test_database_contention_is_a_503_not_a_500(
    gen: FastAPI, admin: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def locked(*_args: object) -> None:
        raise OperationalError("UPDATE …", {}, Exception("database is locked"))

    monkeypatch.setattr(services_of(gen).playback, "set_position", locked)
    movie = _movies(gen, 1)[0][0]
    answer = await admin.put(f"/api/items/{movie}/progress", json={"position_ms": 5})
    assert answer.status_code == 503
    assert "busy" in answer.json()["error"] and answer.headers["Retry-After"]


async def test_sources_list_shows_no_secrets(gen: FastAPI, admin: httpx.AsyncClient) -> None:
    svc = services_of(gen)
    with svc.db.engine.begin() as conn:
        conn.execute(
            update(Source).values(
                settings={"url": "http://user:hunter2@panel.example", "api_key": "k", "x": 1},
                secret=svc.sources.box.encrypt({"password": "hunter2"}),
            )
        )
    listed = (await admin.get("/api/sources")).json()
    assert "hunter2" not in str(listed)
    for source in listed:
        assert source["settings"] == {"url": "http://panel.example", "x": 1}
        assert source["secrets"]["password"] == "set"
