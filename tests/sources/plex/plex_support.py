"""Helpers shared by the Plex tests (a uniquely named module, so it never collides with
another folder's conftest when imported)."""

from __future__ import annotations

from typing import Any

from reel.sources.base import ListingContext, SourceConfig
from reel.sources.http import RetryPolicy
from reel.sources.plex.adapter import PlexAdapter
from reel.sources.records import ListingPage

FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02)
CLIENT_ID = "reel-test-client"


def make_adapter(url: str, token: str, **settings: Any) -> PlexAdapter:
    config = SourceConfig(
        name="plex-test",
        kind="plex",
        settings={"url": url, "client_id": CLIENT_ID, "page_size": 3, **settings},
        secrets={"token": token},
    )
    return PlexAdapter(config, retry=FAST_RETRY)


async def collect(ad: PlexAdapter, ctx: ListingContext) -> list[ListingPage]:
    return [page async for page in ad.listing(ctx)]
