"""All network I/O with an Xtream Codes panel; raises only the neutral source errors.

Credentials travel as query parameters (the protocol has no other way) and inside stream
paths, so no URL this module builds is ever logged or put into an error message: calls are
named by their `action` instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from reel.sources.errors import BadResponse, CannotConnect, InvalidAuth
from reel.sources.http import RETRY_STATUS, RetryPolicy, looks_like_html, make_client, request

log = logging.getLogger(__name__)


def normalise_url(url: str) -> str:
    """The panel's base URL whatever people paste: no trailing slash or player_api.php."""
    url = url.strip()
    if "://" not in url:
        url = f"http://{url}"
    url = url.split("?", 1)[0].rstrip("/")
    for suffix in ("/player_api.php", "/get.php", "/xmltv.php"):
        if url.endswith(suffix):
            url = url[: -len(suffix)]
    return url.rstrip("/")


class XtreamClient:
    """One panel account. Use as an async context manager, or call `aclose()`."""

    def __init__(
        self,
        url: str,
        username: str,
        password: str,
        *,
        source: str,
        retry: RetryPolicy = RetryPolicy(),
        timeout: float = 60.0,
        max_connections: int = 8,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = normalise_url(url)
        self.source = source
        self.retry = retry
        self._username = username
        self._password = password
        self._http = make_client(
            self.base_url, timeout=timeout, max_connections=max_connections, transport=transport
        )

    async def __aenter__(self) -> XtreamClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def _auth(self) -> dict[str, str]:
        return {"username": self._username, "password": self._password}

    async def call(self, action: str = "", **params: Any) -> bytes:
        """The raw JSON body of one player_api.php call, checked to be JSON-ish."""
        what = action or "account info"
        query = self._auth()
        if action:
            query["action"] = action
        query.update({k: str(v) for k, v in params.items()})
        try:
            response = await request(
                self._http, "GET", "/player_api.php", what=what, retry=self.retry, params=query
            )
        except InvalidAuth:
            raise InvalidAuth(f"bad credentials for source {self.source}") from None
        body = response.content
        if not body.strip():
            raise BadResponse(f"server returned an empty answer for {what}")
        if looks_like_html(body):
            raise BadResponse(f"server returned an HTML page instead of JSON for {what}")
        return body

    async def xmltv(self) -> AsyncIterator[bytes]:
        """xmltv.php as a byte stream; retried only until the first byte arrives."""
        last = "no attempt made"
        for attempt in range(self.retry.attempts):
            try:
                async with self._http.stream("GET", "/xmltv.php", params=self._auth()) as response:
                    if response.status_code in (401, 403):
                        raise InvalidAuth(f"bad credentials for source {self.source}")
                    if response.status_code in RETRY_STATUS:
                        last = f"server error {response.status_code} for the guide"
                    elif response.status_code >= 400:
                        raise BadResponse(f"server answered {response.status_code} for the guide")
                    else:
                        started = False
                        try:
                            async for chunk in response.aiter_bytes():
                                started = True
                                yield chunk
                        except (httpx.TransportError, httpx.DecodingError) as exc:
                            if started:
                                raise CannotConnect(
                                    f"connection failed during the guide ({type(exc).__name__})"
                                ) from None
                            raise
                        return
            except httpx.TimeoutException:
                last = "timed out during the guide"
            except (httpx.TransportError, httpx.DecodingError) as exc:
                last = f"connection failed during the guide ({type(exc).__name__})"
            log.debug("retrying the guide of %s after: %s", self.source, last)
            if attempt + 1 < self.retry.attempts:
                await asyncio.sleep(self.retry.delay(attempt))
        raise CannotConnect(last)


def stream_url(
    base_url: str, username: str, password: str, kind: str, stream_id: str, ext: str
) -> str:
    """/live|movie|series/{user}/{pass}/{id}.{ext}: a secret, never store or log it."""
    user, secret = quote(username, safe=""), quote(password, safe="")
    path_id = quote(stream_id, safe="")
    return f"{normalise_url(base_url)}/{kind}/{user}/{secret}/{path_id}.{quote(ext, safe='')}"
