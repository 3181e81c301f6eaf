"""Completeness rules of the paged listing: anything missed must block deletions."""

from __future__ import annotations

import asyncio

from reel.sources.jellyfin.paging import PagedListing
from reel.sources.jellyfin.parse import BaseItem, ItemsResult


def _server(ids: list[str], cap: int | None = None, shrink_after: int | None = None):  # type: ignore[no-untyped-def]
    calls: list[tuple[int, int]] = []
    state = {"ids": list(ids)}

    async def fetch(start: int, limit: int) -> ItemsResult:
        calls.append((start, limit))
        await asyncio.sleep(0)
        if shrink_after is not None and len(calls) > shrink_after:
            state["ids"] = state["ids"][1:]  # an item deleted while we page
        size = min(limit, cap) if cap else limit
        current = state["ids"]
        items = [BaseItem(id=i) for i in current[start : start + size]]
        return ItemsResult(items=items, total_record_count=len(current), start_index=start)

    return fetch, calls


async def _drain(listing: PagedListing) -> list[str]:
    return [item.id for page in [p async for p in listing.pages()] for item in page.items]


async def test_all_pages_in_order_and_complete() -> None:
    ids = [f"{n:04d}" for n in range(23)]
    fetch, calls = _server(ids)
    listing = PagedListing(fetch, page_size=5, concurrency=3)
    assert await _drain(listing) == ids
    assert listing.complete
    assert sorted(c[0] for c in calls) == [0, 5, 10, 15, 20]


async def test_server_capping_the_limit_sets_the_stride() -> None:
    ids = [f"{n:04d}" for n in range(10)]
    fetch, _ = _server(ids, cap=3)
    listing = PagedListing(fetch, page_size=5, concurrency=2)
    assert await _drain(listing) == ids
    assert listing.complete


async def test_items_vanishing_mid_listing_make_it_incomplete() -> None:
    ids = [f"{n:04d}" for n in range(20)]
    fetch, _ = _server(ids, shrink_after=1)
    listing = PagedListing(fetch, page_size=5, concurrency=1)
    got = await _drain(listing)
    assert len(set(got)) < 20
    assert not listing.complete


async def test_stopping_early_is_never_complete() -> None:
    fetch, _ = _server([f"{n}" for n in range(20)])
    listing = PagedListing(fetch, page_size=5, concurrency=2)
    pages = listing.pages()
    await pages.__anext__()
    await pages.aclose()
    assert not listing.complete


async def test_empty_listing_is_complete() -> None:
    fetch, _ = _server([])
    listing = PagedListing(fetch, page_size=5, concurrency=2)
    assert await _drain(listing) == []
    assert listing.complete
