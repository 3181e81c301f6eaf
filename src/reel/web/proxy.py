"""The stream proxy: media bytes from a source to the browser, never anywhere else.

The URL to fetch is never taken from the client. The item's adapter builds it (with the
credentials it needs in the URL or in headers, which stay on the server); segment and
variant URLs found in an HLS playlist are handed to the browser only as HMAC-signed
references bound to the item, and every fetch — redirects included — must stay on the
hosts of that item's own source. Range requests are forwarded, so seeking works (206).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote, urljoin, urlsplit

import httpx
from starlette.background import BackgroundTask
from starlette.responses import Response, StreamingResponse

from reel.errors import Forbidden, NotFound, ReelError
from reel.sources.base import SourceAdapter, StreamMode
from reel.sources.errors import CannotConnect, SourceError
from reel.web.adapters import ItemRef

log = logging.getLogger(__name__)

MAX_PLAYLIST_BYTES = 4 * 1024 * 1024
MAX_REDIRECTS = 5
FORWARD_REQUEST = ("range", "if-range", "accept", "user-agent")
FORWARD_RESPONSE = (
    "content-type",
    "content-length",
    "content-range",
    "accept-ranges",
    "last-modified",
    "etag",
    "content-encoding",
)
PLAYLIST_TYPES = ("mpegurl", "x-mpegurl", "vnd.apple.mpegurl")
_URI_ATTR = re.compile(r'URI="([^"]*)"')


class BadGateway(ReelError):
    """The source failed to deliver the stream."""

    status_code = 502


@dataclass(frozen=True)
class Target:
    url: str
    headers: dict[str, str]
    allowed: frozenset[str]


def origin(url: str) -> str:
    """scheme://host:port, lower-cased, without credentials: the unit hosts are compared in."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{parts.hostname.lower()}:{port}"


def source_hosts(settings: dict[str, object], extra: Iterable[str]) -> frozenset[str]:
    """The origins a source's streams may come from: its configured URL(s) and the URL its
    adapter built for the item (an M3U entry may live on the provider's CDN)."""
    hosts = {origin(str(settings.get("url") or ""))}
    connections = settings.get("connections")
    for conn in connections if isinstance(connections, list) else []:  # Plex: all addresses
        if isinstance(conn, dict):
            hosts.add(origin(str(conn.get("uri") or "")))
    hosts.update(origin(u) for u in extra)
    hosts.discard("")
    return frozenset(hosts)


def resolve(adapter: SourceAdapter, item: ItemRef, mode: StreamMode) -> Target:
    """The URL and headers that fetch an item's stream, from its own adapter."""
    if item.type in ("show", "season"):
        raise ReelError(f"a {item.type} is not playable; play one of its episodes")
    stream_request = getattr(adapter, "stream_request", None)
    try:
        if callable(stream_request):
            url, headers = stream_request(item.remote_id, item.type, item.stream, mode)
        else:
            url, headers = adapter.stream_url(item.remote_id, item.type, item.stream, mode), {}
    except NotImplementedError as exc:
        raise ReelError(str(exc)) from None
    except (ValueError, SourceError) as exc:
        raise ReelError(f"this item cannot be streamed: {exc}") from None
    allowed = source_hosts(adapter.config.settings, [url])
    return Target(url=url, headers=dict(headers), allowed=allowed)


class StreamProxy:
    """Forwards stream requests; one HTTP client with pooled connections for all of them."""

    def __init__(self, key: bytes, client: httpx.AsyncClient | None = None) -> None:
        self.key = key
        self.client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(15.0, read=60.0), follow_redirects=False
        )

    async def close(self) -> None:
        await self.client.aclose()

    # -- signed segment references -------------------------------------------------------

    def sign(self, item_id: int, url: str) -> tuple[str, str]:
        ref = base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")
        mac = hmac.new(self.key, f"{item_id}\0{ref}".encode(), hashlib.sha256).hexdigest()
        return ref, mac[:32]

    def verify(self, item_id: int, ref: str, sig: str) -> str:
        mac = hmac.new(self.key, f"{item_id}\0{ref}".encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(mac[:32].encode(), sig.encode("utf-8", "replace")):
            raise Forbidden("this stream reference is not valid for this item")
        try:
            return base64.urlsafe_b64decode(ref + "=" * (-len(ref) % 4)).decode()
        except (ValueError, UnicodeDecodeError):
            raise Forbidden("this stream reference is not valid for this item") from None

    def segment_path(self, item_id: int, url: str) -> str:
        ref, sig = self.sign(item_id, url)
        return f"/api/items/{item_id}/stream/seg?u={quote(ref)}&s={sig}"

    # -- forwarding ------------------------------------------------------------------------

    def check_host(self, url: str, allowed: frozenset[str]) -> None:
        if origin(url) not in allowed:
            log.warning("stream proxy refused a request outside the item's source")
            raise Forbidden("the stream proxy only contacts the item's own source")

    async def forward(
        self, item_id: int, url: str, target: Target, request_headers: dict[str, str]
    ) -> Response:
        """Fetch `url` (which must be on the source's hosts) and relay it."""
        self.check_host(url, target.allowed)
        headers = {k: v for k, v in request_headers.items() if k.lower() in FORWARD_REQUEST}
        headers["accept-encoding"] = "identity"  # byte ranges must mean the same bytes
        headers.update(target.headers)
        upstream = await self._open(url, headers, target.allowed)
        final_url = str(upstream.url)
        if upstream.status_code >= 400:
            await upstream.aclose()
            raise _upstream_error(upstream.status_code)
        if _is_playlist(final_url, upstream.headers.get("content-type")):
            try:
                body = await _read_capped(upstream, MAX_PLAYLIST_BYTES)
            finally:
                await upstream.aclose()
            text = self.rewrite_playlist(item_id, body.decode("utf-8", "replace"), final_url)
            return Response(
                text,
                media_type="application/vnd.apple.mpegurl",
                headers={"Cache-Control": "no-store"},
            )
        out = {k: v for k, v in upstream.headers.items() if k.lower() in FORWARD_RESPONSE}
        out["Cache-Control"] = "no-store"
        return StreamingResponse(
            upstream.aiter_raw(),
            status_code=upstream.status_code,
            headers=out,
            background=BackgroundTask(upstream.aclose),
        )

    async def _open(
        self, url: str, headers: dict[str, str], allowed: frozenset[str]
    ) -> httpx.Response:
        """GET with redirects followed by hand, each hop checked against `allowed`."""
        for _ in range(MAX_REDIRECTS + 1):
            try:
                request = self.client.build_request("GET", url, headers=headers)
                response = await self.client.send(request, stream=True)
            except httpx.TransportError as exc:
                raise CannotConnect(
                    f"cannot reach the source for this stream ({type(exc).__name__})"
                ) from None
            if response.status_code in (301, 302, 303, 307, 308) and "location" in response.headers:
                await response.aclose()
                url = urljoin(url, response.headers["location"])
                if origin(url) not in allowed:
                    log.warning("stream redirect to another host refused")
                    raise BadGateway("the source redirected the stream to a host outside it")
                continue
            return response
        raise BadGateway("the source redirected the stream too many times")

    def rewrite_playlist(self, item_id: int, text: str, base_url: str) -> str:
        """Point every URI of an HLS playlist at the proxy, as signed references."""
        lines = []
        for line in text.splitlines():
            stripped = line.strip()
            if not stripped:
                lines.append(line)
            elif stripped.startswith("#"):
                lines.append(
                    _URI_ATTR.sub(
                        lambda m: (
                            f'URI="{self.segment_path(item_id, urljoin(base_url, m.group(1)))}"'
                        ),
                        line,
                    )
                )
            else:
                lines.append(self.segment_path(item_id, urljoin(base_url, stripped)))
        return "\n".join(lines) + "\n"


def _is_playlist(url: str, content_type: str | None) -> bool:
    mime = (content_type or "").split(";")[0].strip().lower()
    if any(mime.endswith(t) for t in PLAYLIST_TYPES):
        return True
    return urlsplit(url).path.lower().endswith(".m3u8")


async def _read_capped(response: httpx.Response, cap: int) -> bytes:
    chunks = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > cap:
            raise BadGateway("the source sent a playlist that is too large")
        chunks.append(chunk)
    return b"".join(chunks)


def _upstream_error(status: int) -> ReelError:
    if status == 404:
        return NotFound("the source does not have this stream (resync the source?)")
    if status == 416:
        err = ReelError("the requested range is not satisfiable")
        err.status_code = 416
        return err
    if status in (401, 403):
        return BadGateway("the source refused the stream (sign in to the source again?)")
    return BadGateway(f"the source answered {status} for this stream")
