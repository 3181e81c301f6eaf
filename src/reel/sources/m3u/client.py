"""All I/O of the M3U adapter: playlists and guides from a URL or a local path.

A download is spooled to a temporary file before anything is parsed. That costs one disk
write but buys the retry semantics of `reel.sources.http` for the whole body: a reset or a
short body half-way through restarts the download instead of handing the parser a
playlist that silently ends early (which the sync engine would read as deleted channels).
Memory stays flat for 100 MB guides either way.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import IO
from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx

from reel.sources.errors import BadResponse, CannotConnect, InvalidAuth
from reel.sources.http import RETRY_STATUS, RetryPolicy
from reel.sources.m3u.const import CHUNK_BYTES

log = logging.getLogger(__name__)


def is_remote(location: str) -> bool:
    """Whether a playlist/guide location is fetched over HTTP (else it is a local path)."""
    return urlsplit(location).scheme.lower() in ("http", "https")


def redact(location: str) -> str:
    """A location safe to log or show: no userinfo, query or path of a URL."""
    if not is_remote(location):
        return location
    parts = urlsplit(location)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/…"


def account_of(location: str) -> tuple[str, str] | None:
    """The Xtream-style account a playlist URL signs in with, if it carries one."""
    if not is_remote(location):
        return None
    parts = urlsplit(location)
    query = {k.lower(): v for k, v in parse_qsl(parts.query)}
    user, password = query.get("username"), query.get("password")
    if user and password:
        return user, password
    if parts.username and parts.password:
        return parts.username, parts.password
    return None


def resolve(location: str, base: str | None) -> str:
    """A guide location from a playlist header, made absolute against the playlist."""
    if base is None or is_remote(location) or Path(location).is_absolute():
        return location
    return urljoin(base, location) if is_remote(base) else str(Path(base).parent / location)


async def _download(
    client: httpx.AsyncClient, url: str, what: str, retry: RetryPolicy, sink: IO[bytes]
) -> None:
    """Write the body to `sink`, restarting from zero on transient failures."""
    last_error = "no attempt made"
    for attempt in range(retry.attempts):
        sink.seek(0)
        sink.truncate()
        delay: float | None = None
        try:
            async with client.stream("GET", url) as response:
                status = response.status_code
                if status in (401, 403):
                    raise InvalidAuth(f"the server refused our credentials for {what}")
                if status in RETRY_STATUS:
                    last_error = f"server error {status} for {what}"
                    delay = retry.delay(attempt, _retry_after(response))
                elif status >= 400:
                    raise BadResponse(f"server answered {status} for {what}")
                else:
                    async for chunk in response.aiter_bytes(CHUNK_BYTES):
                        sink.write(chunk)
                    sink.seek(0)
                    return
        except httpx.TimeoutException:
            last_error = f"timed out during {what}"
        except (httpx.TransportError, httpx.DecodingError) as exc:
            last_error = f"connection failed during {what} ({type(exc).__name__})"
        log.debug("retrying %s after: %s", what, last_error)
        if attempt + 1 < retry.attempts:
            await asyncio.sleep(delay if delay is not None else retry.delay(attempt))
    raise CannotConnect(last_error)


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None


async def _read_file(handle: IO[bytes]) -> AsyncGenerator[bytes, None]:
    with handle:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk
            await asyncio.sleep(0)  # a long local read must not starve the event loop


async def open_location(
    location: str, *, what: str, client: httpx.AsyncClient, retry: RetryPolicy
) -> AsyncGenerator[bytes, None]:
    """The bytes of a playlist or guide, from a URL (spooled) or a local file, in chunks."""
    if is_remote(location):
        spool = tempfile.TemporaryFile(prefix="reel-m3u-")  # noqa: SIM115 (closed by _read_file)
        try:
            await _download(client, location, what, retry, spool)
        except BaseException:
            spool.close()
            raise
        log.debug("downloaded %s from %s", what, redact(location))
        return _read_file(spool)
    path = Path(location).expanduser()
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise CannotConnect(f"no file at {path} for {what}") from None
    except OSError as exc:
        raise CannotConnect(f"cannot read {what} at {path} ({exc.strerror})") from None
    return _read_file(handle)


async def peek(location: str, *, what: str, client: httpx.AsyncClient, limit: int) -> bytes:
    """The first `limit` bytes of a location, for `source test` (one attempt, no retry)."""
    if not is_remote(location):
        chunks = await open_location(location, what=what, client=client, retry=RetryPolicy(1))
        head = b""
        async for chunk in chunks:
            head += chunk
            if len(head) >= limit:
                break
        await chunks.aclose()
        return head[:limit]
    try:
        async with client.stream("GET", location) as response:
            if response.status_code in (401, 403):
                raise InvalidAuth(f"the server refused our credentials for {what}")
            if response.status_code >= 400:
                raise BadResponse(f"server answered {response.status_code} for {what}")
            head = b""
            async for chunk in response.aiter_bytes():
                head += chunk
                if len(head) >= limit:
                    break
            return head[:limit]
    except httpx.TimeoutException:
        raise CannotConnect(f"timed out during {what}") from None
    except (httpx.TransportError, httpx.DecodingError) as exc:
        raise CannotConnect(f"connection failed during {what} ({type(exc).__name__})") from None
