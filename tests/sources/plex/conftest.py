"""Fixtures for the Plex tests: a small fake server on a loopback port and an adapter for it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from plex_support import make_adapter

from reel.sources.plex.adapter import PlexAdapter
from reel.testing.fakes.plex import FakePlex, FakePlexConfig, build
from reel.testing.server import serve_in_thread


@pytest.fixture
def fake() -> FakePlex:
    return build(FakePlexConfig(movies=7, shows=2, seasons=2, episodes=3))


@pytest.fixture
def plex_url(fake: FakePlex) -> Iterator[str]:
    with serve_in_thread(fake.app) as url:
        fake.advertise(url)
        yield url


@pytest.fixture
async def adapter(plex_url: str, fake: FakePlex) -> AsyncIterator[PlexAdapter]:
    ad = make_adapter(plex_url, fake.config.token)
    yield ad
    await ad.aclose()
