"""Browser fixtures: one Chromium per worker, a fresh page per test, Reel stacks on loopback.

Every test gets its own browser context (cookies, storage) and fails on any uncaught
JavaScript error. Screenshots go to tests/artifacts/screenshots/ (gitignored).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.stack import Stack, reel_stack

pytest.importorskip("playwright")
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = os.environ.get("REEL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
ADMIN = ("admin", "correct-horse-battery")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"Chromium is not installed at {CHROMIUM} (scripts/setup.sh --test installs it)"
        )
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Shots:
    """Saves `<test>-<step>.png` so a person can look at every page a test visited."""

    def __init__(self, page: Page, test_name: str) -> None:
        self.page = page
        self.prefix = test_name.removeprefix("test_")
        SHOTS.mkdir(parents=True, exist_ok=True)

    def __call__(self, step: str, *, full_page: bool = False) -> None:
        self.page.screenshot(path=str(SHOTS / f"{self.prefix}-{step}.png"), full_page=full_page)


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1360, "height": 860}, locale="en-GB")
    context.set_default_timeout(10_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield pg
    finally:
        context.close()
    assert not errors, f"uncaught JavaScript errors: {errors}"


@pytest.fixture
def shot(page: Page, request: pytest.FixtureRequest) -> Shots:
    return Shots(page, request.node.name)


@contextmanager
def api_client(stack: Stack) -> Iterator[httpx.Client]:
    """A signed-in API client (for arranging state and checking what the UI did)."""
    with httpx.Client(base_url=stack.url, timeout=10) as client:
        answer = client.post("/api/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]})
        answer.raise_for_status()
        client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
        yield client


def create_admin(stack: Stack) -> None:
    r = httpx.post(f"{stack.url}/api/setup", json={"username": ADMIN[0], "password": ADMIN[1]})
    r.raise_for_status()


def add_xtream(client: httpx.Client, stack: Stack, name: str = "Panel") -> dict[str, Any]:
    cfg = stack.fake.config
    r = client.post(
        "/api/sources",
        json={
            "kind": "xtream",
            "name": name,
            "settings": {"url": stack.xtream_url},
            "secrets": {"username": cfg.username, "password": cfg.password},
        },
    )
    r.raise_for_status()
    source: dict[str, Any] = r.json()
    return source


def sync_and_wait(client: httpx.Client, names: list[str] | None = None) -> None:
    client.post("/api/sync", json={"sources": names, "full": False}).raise_for_status()
    deadline = time.monotonic() + 30
    while client.get("/api/sync").json()["running"]:
        if time.monotonic() > deadline:
            raise AssertionError("sync did not finish in 30 s")
        time.sleep(0.05)


@pytest.fixture
def fresh_stack() -> Iterator[Stack]:
    """A Reel with no user yet."""
    with reel_stack() as stack:
        yield stack


@pytest.fixture(scope="module")
def synced_stack() -> Iterator[Stack]:
    """A Reel with an admin and one Xtream source, synced (shared by a module's tests)."""
    with reel_stack() as stack:
        create_admin(stack)
        with api_client(stack) as client:
            add_xtream(client, stack)
            sync_and_wait(client)
        yield stack


def sign_in(page: Page, stack: Stack, path: str = "/") -> None:
    """Sign in through the form and land on `path` (a hash route like "/#/live")."""
    page.goto(stack.url + "/")
    page.get_by_label("Username").fill(ADMIN[0])
    page.get_by_label("Password").fill(ADMIN[1])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector(".shell")
    if path != "/":
        page.goto(stack.url + path)
