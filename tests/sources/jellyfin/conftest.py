"""A fake Jellyfin served once per session; each test gets a fresh library behind it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from reel.sources.base import ListingContext, SourceConfig
from reel.sources.http import RetryPolicy
from reel.sources.jellyfin.adapter import JellyfinAdapter
from reel.sources.records import ListingPage
from reel.testing.fakes.jellyfin import FakeJellyfin, FakeJellyfinConfig
from reel.testing.server import serve_in_thread

FAST = RetryPolicy(attempts=3, base_delay=0.0, max_delay=0.0)
DEVICE_ID = "reel-test-device"


class _Switch:
    """An ASGI app that forwards to whichever fake the current test installed."""

    target: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.target(scope, receive, send)


_switch = _Switch()


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    with serve_in_thread(_switch) as url:
        yield url


@pytest.fixture
def fake(server_url: str) -> FakeJellyfin:
    instance = FakeJellyfin(FakeJellyfinConfig(movies=25, shows=3, seasons=2, episodes=4))
    _switch.target = instance.app
    return instance


def make_config(url: str, fake: FakeJellyfin, **settings: Any) -> SourceConfig:
    return SourceConfig(
        name="home",
        kind="jellyfin",
        settings={"url": url, "device_id": DEVICE_ID, **settings},
        secrets={"username": fake.config.username, "password": fake.config.password},
    )


@pytest.fixture
async def adapter(server_url: str, fake: FakeJellyfin) -> Any:
    first = JellyfinAdapter(make_config(server_url, fake, page_size=7), retry=FAST)
    stored = await first.setup()
    await first.aclose()
    signed_in = JellyfinAdapter(stored, retry=FAST)
    yield signed_in
    await signed_in.aclose()


class Collected:
    """Everything a listing yielded, grouped the way assertions need it."""

    def __init__(self) -> None:
        self.pages: list[ListingPage] = []

    @property
    def libraries(self) -> list[Any]:
        return [lib for p in self.pages for lib in p.libraries]

    def items(self, kind: str | None = None) -> list[Any]:
        return [i for p in self.pages for i in p.items if kind is None or i.type == kind]

    @property
    def user_data(self) -> dict[str, Any]:
        return {u.remote_id: u for p in self.pages for u in p.user_data}

    def present(self, kind: str) -> list[str]:
        return [i for p in self.pages for i in p.present_ids.get(kind, [])]


async def collect(adapter: JellyfinAdapter, ctx: ListingContext) -> Collected:
    out = Collected()
    async for page in adapter.listing(ctx):
        out.pages.append(page)
    return out


@pytest.fixture
def run_listing() -> Any:
    """`await run_listing(adapter, ctx)` → Collected."""
    return collect


@pytest.fixture
def config_for(server_url: str, fake: FakeJellyfin) -> Any:
    """`config_for(**settings)` → a SourceConfig with the fake's URL and credentials."""
    return lambda **settings: make_config(settings.pop("url", server_url), fake, **settings)


@pytest.fixture
def fast_retry() -> RetryPolicy:
    return FAST
