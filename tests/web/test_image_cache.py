"""The content-addressed image cache: dedup, LRU eviction within a budget, restart."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reel.web.images import ImageCache, ImageUnavailable, image_ext

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 100


def blob(n: int) -> bytes:
    return PNG + bytes([n]) * 1000


async def test_lru_eviction_keeps_recently_served(tmp_path: Path) -> None:
    cache = ImageCache(tmp_path, budget_bytes=3500)
    fetched: list[int] = []

    def fetcher(n: int):
        async def fetch() -> tuple[bytes, str | None]:
            fetched.append(n)
            return blob(n), "image/png"

        return fetch

    for n in (1, 2, 3):
        await cache.get(cache.key(1, f"ref{n}"), fetcher(n))
    assert cache.lookup(cache.key(1, "ref1")) is not None  # 1 is now the most recent
    await cache.get(cache.key(1, "ref4"), fetcher(4))  # over budget: evicts 2, the oldest
    assert cache.lookup(cache.key(1, "ref2")) is None
    assert cache.lookup(cache.key(1, "ref1")) is not None
    assert cache.total_bytes <= 3500
    # Same bytes under another ref are stored once.
    await cache.get(cache.key(2, "other"), fetcher(4))
    assert len(list(tmp_path.glob("??/??/*.png"))) == 3
    # A new process rebuilds the index from disk and serves without fetching.
    again = ImageCache(tmp_path, budget_bytes=3500)
    hit = await again.get(cache.key(1, "ref1"), fetcher(99))
    assert hit.path.read_bytes() == blob(1)
    assert 99 not in fetched


async def test_non_images_are_refused(tmp_path: Path) -> None:
    cache = ImageCache(tmp_path, budget_bytes=10_000)

    async def html() -> tuple[bytes, str | None]:
        return b"<html>login</html>", "text/html"

    with pytest.raises(ImageUnavailable):
        await cache.get("k" * 64, html)


@given(st.binary(max_size=64), st.sampled_from([None, "", "text/html", "image/png; x=1"]))
def test_image_ext_never_crashes(body: bytes, content_type: str | None) -> None:
    ext = image_ext(body, content_type)
    assert ext is None or ext in {"jpg", "png", "webp", "gif", "avif"}
