"""Every endpoint but the public ones needs a session or token; admin-only ones refuse
ordinary users; the WebSocket refuses strangers and other sites."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.web.conftest import UserClient

PUBLIC = {
    ("GET", "/api/health"),
    ("GET", "/api/setup"),
    ("POST", "/api/setup"),
    ("POST", "/api/auth/login"),
}
ADMIN_ONLY = {
    ("GET", "/api/users"),
    ("POST", "/api/users"),
    ("PATCH", "/api/users/{user_id}"),
    ("DELETE", "/api/users/{user_id}"),
    ("POST", "/api/sources"),
    ("PATCH", "/api/sources/{source_id}"),
    ("DELETE", "/api/sources/{source_id}"),
    ("POST", "/api/sources/{source_id}/test"),
    ("POST", "/api/plex/pin"),
    ("GET", "/api/plex/pin/{pin_id}"),
    ("POST", "/api/plex/pin/{pin_id}/add"),
    ("POST", "/api/sync"),
    ("GET", "/api/sync"),
    ("POST", "/api/sync/cancel"),
    ("GET", "/api/sync/history"),
    ("PUT", "/api/settings"),
}


def api_routes(app: FastAPI) -> list[tuple[str, str]]:
    found = []
    for route in app.routes:
        if isinstance(route, APIRoute):
            for method in sorted(route.methods - {"HEAD"}):
                found.append((method, route.path))
    return found


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


async def test_every_non_public_endpoint_needs_auth(app: FastAPI, anon: httpx.AsyncClient) -> None:
    routes = api_routes(app)
    assert len(routes) > 30
    assert set(routes) >= PUBLIC
    for method, path in routes:
        if (method, path) in PUBLIC:
            continue
        response = await anon.request(method, concrete(path), json={})
        assert response.status_code == 401, (method, path, response.status_code)
        assert response.json() == {"error": "sign in first"}


async def test_garbage_tokens_and_cookies_are_401(app: FastAPI, anon: httpx.AsyncClient) -> None:
    for method, path in api_routes(app):
        if (method, path) in PUBLIC or method != "GET":
            continue
        bearer = await anon.get(concrete(path), headers={"Authorization": "Bearer reel_bogus"})
        assert bearer.status_code == 401, path
        anon.cookies.set("reel_session", "forged")
        cookie = await anon.get(concrete(path))
        anon.cookies.clear()
        assert cookie.status_code == 401, path


async def test_public_endpoints_answer_without_auth(anon: httpx.AsyncClient) -> None:
    assert (await anon.get("/api/health")).json()["status"] == "ok"
    assert (await anon.get("/api/setup")).status_code == 200


async def test_admin_only_endpoints_refuse_ordinary_users(
    app: FastAPI, user_client: UserClient
) -> None:
    assert set(api_routes(app)) >= ADMIN_ONLY
    bob = await user_client("bob")
    for method, path in sorted(ADMIN_ONLY):
        response = await bob.request(method, concrete(path), json={})
        assert response.status_code in (403, 422), (method, path, response.status_code)
        if response.status_code == 403:
            assert response.json() == {"error": "only an admin can do this"}
    # Bodies that validate still meet the role check.
    made = await bob.post("/api/users", json={"username": "mallory", "password": "x" * 10})
    assert made.status_code == 403
    # Reads are open to every signed-in user.
    for path in ("/api/sources", "/api/items", "/api/settings", "/api/libraries"):
        assert (await bob.get(path)).status_code == 200, path


async def test_unknown_api_path_is_a_json_404(admin: httpx.AsyncClient) -> None:
    response = await admin.get("/api/does-not-exist")
    assert response.status_code == 404
    assert "error" in response.json()


def test_websocket_refuses_strangers_and_other_sites(app: FastAPI) -> None:
    with TestClient(app) as client:
        with client.websocket_connect("/ws") as ws, pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
        assert closed.value.code == 4401
        client.post("/api/setup", json={"username": "ann", "password": "correct horse battery"})
        with (
            client.websocket_connect("/ws", headers={"Origin": "https://evil.example"}) as ws,
            pytest.raises(WebSocketDisconnect) as refused,
        ):
            ws.receive_text()
        assert refused.value.code == 4403
        with client.websocket_connect("/ws") as ws:
            assert ws.receive_json()["event"] == "hello"


async def test_settings_round_trip_and_admin_only_write(admin: httpx.AsyncClient) -> None:
    assert (await admin.get("/api/settings")).json() == {
        "image_cache_mb": 512,
        "stream_mode": "proxy",
    }
    changed = await admin.put("/api/settings", json={"image_cache_mb": 64})
    assert changed.status_code == 200 and changed.json()["image_cache_mb"] == 64
    assert (await admin.get("/api/settings")).json()["image_cache_mb"] == 64
    bad = await admin.put("/api/settings", json={"stream_mode": "teleport"})
    assert bad.status_code == 422 and "stream_mode" in bad.json()["error"]
