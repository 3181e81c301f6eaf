"""The one HTTP client factory and retry loop every adapter and provider uses.

Retries cover what a flaky server does (5xx, timeouts, resets) with exponential backoff
and full jitter, bounded in attempts; 401/403 never retry. Errors come out as the neutral
`CannotConnect` / `InvalidAuth` / `BadResponse` with a one-line message naming the call.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from reel import __version__
from reel.sources.errors import BadResponse, CannotConnect, InvalidAuth

log = logging.getLogger(__name__)

USER_AGENT = f"Reel/{__version__}"
RETRY_STATUS = frozenset({429, 500, 502, 503, 504, 520, 521, 522, 523, 524})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry a request."""

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Full-jitter backoff; a server's Retry-After wins when it is given and sane."""
        if retry_after is not None and 0 <= retry_after <= 60:
            return retry_after
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))


NO_RETRY = RetryPolicy(attempts=1)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """httpx's default verifying context, built once: loading the CA bundle took ~50 ms,
    paid by every client (so by every sync). Clients only read it (HTTP/1.1 only)."""
    return httpx.create_ssl_context()


def make_client(
    base_url: str = "",
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30.0,
    max_connections: int = 16,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """An AsyncClient with Reel's User-Agent, timeouts and connection limits."""
    merged = {"User-Agent": USER_AGENT}
    merged.update(headers or {})
    return httpx.AsyncClient(
        base_url=base_url,
        headers=merged,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        ),
        follow_redirects=True,
        transport=transport,
        verify=_tls_context(),
    )


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


async def request(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    what: str,
    retry: RetryPolicy = RetryPolicy(),
    **kwargs: Any,
) -> httpx.Response:
    """Send a request, retrying transient failures; `what` names the call in messages.

    The response body is read fully, so a connection dropped mid-body is retried too.
    """
    last_error = "no attempt made"
    for attempt in range(retry.attempts):
        try:
            response = await client.request(method, url, **kwargs)
            await response.aread()
        except httpx.TimeoutException:
            last_error = f"timed out during {what}"
        except (httpx.TransportError, httpx.DecodingError) as exc:
            last_error = f"connection failed during {what} ({type(exc).__name__})"
        else:
            if response.status_code in (401, 403):
                raise InvalidAuth(f"the server refused our credentials for {what}")
            if response.status_code in RETRY_STATUS:
                last_error = f"server error {response.status_code} for {what}"
                if attempt + 1 < retry.attempts:
                    await asyncio.sleep(retry.delay(attempt, _retry_after(response)))
                continue
            if response.status_code >= 400:
                raise BadResponse(f"server answered {response.status_code} for {what}")
            return response
        log.debug("retrying %s after: %s", what, last_error)
        if attempt + 1 < retry.attempts:
            await asyncio.sleep(retry.delay(attempt))
    raise CannotConnect(last_error)


def looks_like_html(body: bytes) -> bool:
    """Panels often answer errors with an HTML page and status 200."""
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<br", b"<b>"))
