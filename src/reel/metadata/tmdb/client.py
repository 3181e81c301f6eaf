"""HTTP access to TMDB v3: authentication, a shared rate limiter, 429 back-off, caching.

All requests go through `reel.sources.http.request`, which already retries 5xx and
honours `Retry-After` per request; the limiter here adds the cross-request part: after
a 429 every concurrent call waits, and in normal running we stay under TMDB's
~40 requests/s. Bodies are decoded into typed structs before they are cached, so a
truncated or malformed body is never stored.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import TypeVar
from urllib.parse import urlencode

import httpx
import msgspec

from reel.metadata.tmdb.cache import ResponseCache
from reel.sources.errors import BadResponse
from reel.sources.http import RetryPolicy, make_client, request

log = logging.getLogger(__name__)

T = TypeVar("T")


class NotFound(BadResponse):
    """TMDB has no such id (status 404, `status_code` 34)."""


class RateLimiter:
    """A token bucket that a 429 can pause for everyone."""

    def __init__(
        self, rate: float, burst: int | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = float(burst if burst is not None else max(1, int(rate)))
        self._tokens = self.burst
        self._clock = clock
        self._last = clock()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        """Hold every request back for `seconds` (a server's Retry-After)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    async def acquire(self) -> None:
        if self.rate <= 0 and self._paused_until <= self._clock():
            return
        async with self._lock:
            while True:
                now = self._clock()
                if now < self._paused_until:
                    await asyncio.sleep(self._paused_until - now)
                    continue
                if self.rate <= 0:
                    return
                self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self.rate)


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "1")))
    except ValueError:
        return 1.0


class TmdbClient:
    """One TMDB account's access. A v4 read token (a JWT) goes in a Bearer header,
    a v3 key in the `api_key` query parameter, as TMDB accepts either."""

    def __init__(
        self,
        api_url: str,
        api_key: str,
        *,
        cache: ResponseCache | None = None,
        rate: float = 40.0,
        retry: RetryPolicy = RetryPolicy(),
        language: str | None = "en-US",
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 15.0,
    ) -> None:
        self.cache = cache
        self.retry = retry
        self.language = language
        self.limiter = RateLimiter(rate)
        bearer = api_key.startswith("eyJ")
        self._auth_params = {} if bearer else {"api_key": api_key}
        headers = {"Accept": "application/json"}
        if bearer:
            headers["Authorization"] = f"Bearer {api_key}"
        self._http = make_client(
            api_url.rstrip("/") + "/", headers=headers, timeout=timeout, transport=transport
        )
        self._http.event_hooks["request"].append(self._before)
        self._http.event_hooks["response"].append(self._after)
        self.requests_sent = 0

    async def _before(self, _request: httpx.Request) -> None:
        await self.limiter.acquire()
        self.requests_sent += 1

    async def _after(self, response: httpx.Response) -> None:
        if response.status_code == 429:
            wait = _retry_after(response)
            log.info("TMDB rate limit hit; pausing requests for %.1f s", wait)
            self.limiter.pause(wait)
        elif response.status_code == 404:
            raise NotFound(f"TMDB has no {response.request.url.path}")

    async def get(
        self,
        path: str,
        type_: type[T],
        params: Mapping[str, str | int] | None = None,
        *,
        ttl_s: float = 7 * 86400,
    ) -> T:
        """GET `path` decoded as `type_`, from the cache when it holds a fresh copy."""
        query = {k: str(v) for k, v in (params or {}).items() if v is not None}
        if self.language and "language" not in query:
            query["language"] = self.language
        key = f"tmdb:{path}?{urlencode(sorted(query.items()))}"
        if self.cache is not None and (cached := await self.cache.get(key)) is not None:
            try:
                return msgspec.json.decode(cached, type=type_)
            except msgspec.DecodeError:
                log.warning("dropping an unreadable cached TMDB body for %s", path)
        what = f"TMDB {path}"
        response = await request(
            self._http, "GET", path.lstrip("/"), what=what, retry=self.retry,
            params={**query, **self._auth_params},
        )  # fmt: skip
        try:
            value = msgspec.json.decode(response.content, type=type_)
        except msgspec.DecodeError as exc:
            raise BadResponse(f"unreadable answer from {what}: {exc}") from None
        if self.cache is not None:
            await self.cache.set(key, response.content, ttl_s)
        return value

    async def aclose(self) -> None:
        await self._http.aclose()
