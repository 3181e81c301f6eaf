"""An app per test over the `db` fixture (SQLite and PostgreSQL), and signed-in clients.

Passwords use a cheap argon2 setting so the many logins of these tests stay fast.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI

from reel.catalog.db import Database
from reel.config import Settings
from reel.web import create_app
from reel.web.app import close_services
from reel.web.services import AppServices

PASSWORD = "correct horse battery"
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
async def app(db: Database, tmp_path: Path) -> AsyncIterator[FastAPI]:
    application = create_app(Settings(data_dir=tmp_path), db, hasher=FAST_HASHER)
    try:
        yield application
    finally:
        await close_services(services_of(application))


def services_of(app: FastAPI) -> AppServices:
    svc: AppServices = app.state.reel
    return svc


def make_client(app: FastAPI, base_url: str = "http://reel.test") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)


@pytest.fixture
async def anon(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(app) as client:
        yield client


async def sign_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> str:
    """Log in; sets the CSRF header on the client like the UI does. Returns the token."""
    response = await client.post(
        "/api/auth/login", json={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    csrf: str = response.json()["csrf_token"]
    client.headers["X-CSRF-Token"] = csrf
    return csrf


@pytest.fixture
async def admin(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client signed in as the first admin, `ann`."""
    async with make_client(app) as client:
        response = await client.post("/api/setup", json={"username": "ann", "password": PASSWORD})
        assert response.status_code == 201, response.text
        client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        yield client


UserClient = Callable[[str], Coroutine[Any, Any, httpx.AsyncClient]]


@pytest.fixture
async def user_client(app: FastAPI, admin: httpx.AsyncClient) -> AsyncIterator[UserClient]:
    """Factory of clients signed in as new ordinary users (created by the admin)."""
    clients: list[httpx.AsyncClient] = []

    async def make(username: str) -> httpx.AsyncClient:
        response = await admin.post(
            "/api/users", json={"username": username, "password": PASSWORD, "is_admin": False}
        )
        assert response.status_code == 201, response.text
        client = make_client(app)
        clients.append(client)
        await sign_in(client, username)
        return client

    yield make
    for client in clients:
        await client.aclose()
