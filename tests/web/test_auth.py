"""First-run set-up, login, cookies, CSRF, throttling and API tokens."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.web.conftest import PASSWORD, make_client, services_of, sign_in


async def test_setup_only_while_no_user_exists(anon: httpx.AsyncClient) -> None:
    assert (await anon.get("/api/setup")).json() == {"needs_setup": True}
    first = await anon.post("/api/setup", json={"username": "ann", "password": PASSWORD})
    assert first.status_code == 201
    assert first.json()["user"]["is_admin"] is True
    assert (await anon.get("/api/setup")).json() == {"needs_setup": False}
    again = await anon.post("/api/setup", json={"username": "eve", "password": PASSWORD})
    assert again.status_code == 409
    assert "already" in again.json()["error"]


async def test_setup_adopts_the_cli_local_owner(app: FastAPI, anon: httpx.AsyncClient) -> None:
    from reel.catalog.users import resolve_user

    svc = services_of(app)
    with svc.db.session() as session:
        owner_id = resolve_user(session).id
    assert (await anon.get("/api/setup")).json() == {"needs_setup": True}
    response = await anon.post("/api/setup", json={"username": "ann", "password": PASSWORD})
    assert response.json()["user"]["id"] == owner_id


async def test_short_password_is_refused(anon: httpx.AsyncClient) -> None:
    response = await anon.post("/api/setup", json={"username": "ann", "password": "short"})
    assert response.status_code == 400
    assert "password" in response.json()["error"]


async def test_login_sets_http_only_lax_cookies(app: FastAPI, admin: httpx.AsyncClient) -> None:
    async with make_client(app) as client:
        response = await client.post(
            "/api/auth/login", json={"username": "ann", "password": PASSWORD}
        )
        assert response.status_code == 200
        cookies = response.headers.get_list("set-cookie")
        session = next(c for c in cookies if c.startswith("reel_session="))
        csrf = next(c for c in cookies if c.startswith("reel_csrf="))
        assert "HttpOnly" in session and "samesite=lax" in session.lower()
        assert "Secure" not in session
        assert "HttpOnly" not in csrf
        me = await client.get("/api/auth/me")
        assert me.json()["user"]["username"] == "ann"
        assert me.json()["csrf_token"] == response.json()["csrf_token"]
    async with make_client(app, "https://reel.test") as secure:
        response = await secure.post(
            "/api/auth/login", json={"username": "ann", "password": PASSWORD}
        )
        session = next(
            c for c in response.headers.get_list("set-cookie") if c.startswith("reel_session=")
        )
        assert "Secure" in session


async def test_wrong_password_is_401_and_throttled(app: FastAPI, admin: httpx.AsyncClient) -> None:
    async with make_client(app) as client:
        for _ in range(5):
            bad = await client.post(
                "/api/auth/login", json={"username": "ann", "password": "x" * 9}
            )
            assert bad.status_code == 401
            assert bad.json() == {"error": "wrong username or password"}
        blocked = await client.post(
            "/api/auth/login", json={"username": "ann", "password": PASSWORD}
        )
        assert blocked.status_code == 429
        assert int(blocked.headers["retry-after"]) >= 1
        # Another user name from the same address is not blocked by ann's failures.
        other = await client.post("/api/auth/login", json={"username": "bob", "password": "y" * 9})
        assert other.status_code == 401


async def test_throttle_resets_after_success(app: FastAPI, admin: httpx.AsyncClient) -> None:
    async with make_client(app) as client:
        for _ in range(4):
            await client.post("/api/auth/login", json={"username": "ann", "password": "x" * 9})
        await sign_in(client, "ann")
        for _ in range(4):
            bad = await client.post(
                "/api/auth/login", json={"username": "ann", "password": "x" * 9}
            )
            assert bad.status_code == 401


async def test_csrf_is_required_for_cookie_writes(admin: httpx.AsyncClient) -> None:
    token = admin.headers.pop("X-CSRF-Token")
    refused = await admin.post("/api/tokens", json={"name": "script"})
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["error"]
    wrong = await admin.post(
        "/api/tokens", json={"name": "script"}, headers={"X-CSRF-Token": "nope"}
    )
    assert wrong.status_code == 403
    assert (await admin.get("/api/tokens")).status_code == 200  # reads need no token
    ok = await admin.post("/api/tokens", json={"name": "script"}, headers={"X-CSRF-Token": token})
    assert ok.status_code == 201


async def test_api_tokens_need_no_csrf_and_can_be_revoked(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    created = await admin.post("/api/tokens", json={"name": "backup script"})
    assert created.status_code == 201
    raw = created.json()["token"]
    listed = (await admin.get("/api/tokens")).json()
    assert [t["name"] for t in listed] == ["backup script"]
    assert "token" not in listed[0]
    async with make_client(app) as script:
        script.headers["Authorization"] = f"Bearer {raw}"
        assert (await script.get("/api/auth/me")).json()["user"]["username"] == "ann"
        made = await script.post("/api/tokens", json={"name": "second"})  # no CSRF header
        assert made.status_code == 201
        revoke = await admin.delete(f"/api/tokens/{created.json()['id']}")
        assert revoke.status_code == 204
        gone = await script.get("/api/auth/me")
        assert gone.status_code == 401
        assert "token" in gone.json()["error"]


async def test_logout_ends_the_session(admin: httpx.AsyncClient) -> None:
    assert (await admin.post("/api/auth/logout")).status_code == 204
    admin.cookies.clear()
    assert (await admin.get("/api/auth/me")).status_code == 401


async def test_stolen_cookie_dies_at_logout(app: FastAPI, admin: httpx.AsyncClient) -> None:
    stolen = admin.cookies.get("reel_session")
    await admin.post("/api/auth/logout")
    async with make_client(app) as thief:
        thief.cookies.set("reel_session", stolen or "")
        assert (await thief.get("/api/auth/me")).status_code == 401


async def test_password_change_keeps_this_session_only(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    async with make_client(app) as other:
        await sign_in(other, "ann")
        changed = await admin.post(
            "/api/auth/password",
            json={"current_password": PASSWORD, "new_password": "a much better one"},
        )
        assert changed.status_code == 204
        assert (await admin.get("/api/auth/me")).status_code == 200
        assert (await other.get("/api/auth/me")).status_code == 401
        await sign_in(other, "ann", "a much better one")
