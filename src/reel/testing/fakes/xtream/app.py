"""The fake panel's HTTP surface: player_api.php, xmltv.php, streams and images.

Routes follow what real panels answer, including their odd edges: bad credentials give
200 with `{"user_info":{"auth":0}}` (or 401/403 when configured like other panels), an
unknown `vod_id` gives `{"info":[]}`, an unknown `series_id` gives `[]`.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from reel.testing.fakes.xtream import entries, media, render
from reel.testing.fakes.xtream.catalog import Kind, XtreamCatalog, XtreamFakeConfig
from reel.testing.fakes.xtream.faults import FaultInjector, Faults

JSON = "application/json"
PNG = bytes.fromhex(  # 1x1 blue-ish RGB, so artwork downloads have something real to store
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944"
    "4154789c63304898000001e40121ca6cd2320000000049454e44ae426082"
)
_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")
_LISTINGS = ("get_live_streams", "get_vod_streams", "get_series")
_CATEGORIES: dict[str, Kind] = {
    "get_live_categories": "live",
    "get_vod_categories": "vod",
    "get_series_categories": "series",
}


def _json(body: bytes, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type=JSON)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _ranged(request: Request, data: bytes, media_type: str) -> Response:
    """Serve bytes with single-range support, as players seek with Range requests."""
    headers = {"Accept-Ranges": "bytes"}
    header = request.headers.get("range")
    match = _RANGE.match(header.strip()) if header else None
    if match is None or match.groups() == ("", ""):
        return Response(data, media_type=media_type, headers=headers)
    first, last = match.groups()
    size = len(data)
    if first == "":
        start, end = max(size - int(last), 0), size - 1
    else:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        headers["Content-Range"] = f"bytes */{size}"
        return Response(b"", status_code=416, headers=headers)
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return Response(data[start : end + 1], status_code=206, media_type=media_type, headers=headers)


class XtreamFake:
    """A fake panel: its catalog, its faults, a log of requests, and the ASGI app."""

    def __init__(self, config: XtreamFakeConfig | None = None) -> None:
        self.config = config or XtreamFakeConfig()
        self.catalog = XtreamCatalog(self.config)
        self.faults = Faults()
        self.requests: list[tuple[str, str, str]] = []  # (path, action, id parameter)
        self.in_flight: Counter[str] = Counter()
        self.peak_in_flight: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str | None], tuple[int, bytes]] = {}
        routes = [
            Route("/player_api.php", self.player_api, methods=["GET", "POST"]),
            Route("/xmltv.php", self.xmltv),
            Route("/live/{user}/{password}/{name}", self.live),
            Route("/movie/{user}/{password}/{name}", self.movie),
            Route("/series/{user}/{password}/{name}", self.episode),
            Route("/hls/{token}/{name}", self.segment),
            Route("/images/{kind}/{name}", self.image),
        ]
        self.app = FaultInjector(Starlette(routes=routes), self.faults)

    # ---- helpers for tests -----------------------------------------------------------
    def credentials(self, base_url: str) -> dict[str, str]:
        return {"url": base_url, "username": self.config.username, "password": self.config.password}

    def calls(self, action: str | None = None) -> list[tuple[str, str, str]]:
        with self._lock:
            return [r for r in self.requests if action is None or r[1] == action]

    def reset_log(self) -> None:
        with self._lock:
            self.requests.clear()
            self.peak_in_flight.clear()

    def warm(self) -> None:
        """Render the big listings now, so the first client does not pay for it."""
        cat = self.catalog
        for action in _LISTINGS:
            self._cached((action, None), lambda a=action: render.php_json(render.listing(cat, a)))

    def _authorised(self, user: str | None, password: str | None) -> bool:
        return user == self.config.username and password == self.config.password

    def _cached(self, key: tuple[str, str | None], build: Any) -> bytes:
        cat = self.catalog
        with cat.lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] == cat.version:
                return hit[1]
            body: bytes = build()
            self._cache[key] = (cat.version, body)
            return body

    # ---- player_api.php --------------------------------------------------------------
    async def player_api(self, request: Request) -> Response:
        params = dict(request.query_params)
        if request.method == "POST":  # panels read $_REQUEST, so form posts work too
            form = parse_qs((await request.body()).decode("utf-8", "replace"))
            params.update({k: v[0] for k, v in form.items()})
        action = params.get("action", "")
        ident = params.get("series_id") or params.get("vod_id") or params.get("stream_id") or ""
        with self._lock:
            self.requests.append(("/player_api.php", action, ident))
            self.in_flight[action] += 1
            self.peak_in_flight[action] = max(self.peak_in_flight[action], self.in_flight[action])
        try:
            if not self._authorised(params.get("username"), params.get("password")):
                status = self.config.bad_auth_status
                if status is not None:
                    return PlainTextResponse("Unauthorized", status_code=status)
                return _json(b'{"user_info":{"auth":0}}')
            return self._answer(request, action, params)
        finally:
            with self._lock:
                self.in_flight[action] -= 1

    def _answer(self, request: Request, action: str, params: dict[str, str]) -> Response:
        cat = self.catalog
        if action == "":
            return _json(render.php_json(self.account(request)))
        if action in _CATEGORIES:
            kind = _CATEGORIES[action]
            return _json(
                self._cached((action, None), lambda: render.php_json(cat.category_entries(kind)))
            )
        if action in _LISTINGS:
            category = params.get("category_id") or None
            return _json(
                self._cached(
                    (action, category),
                    lambda: render.php_json(render.listing(cat, action, category)),
                )
            )
        if action == "get_series_info":
            i = cat.index_of("series", params.get("series_id", ""))
            body = entries.series_info(cat, i) if i is not None else []
            return _json(render.php_json(body))
        if action == "get_vod_info":
            i = cat.index_of("vod", params.get("vod_id", ""))
            return _json(
                render.php_json(entries.vod_info(cat, i) if i is not None else {"info": []})
            )
        if action in ("get_short_epg", "get_simple_data_table"):
            i = cat.index_of("live", params.get("stream_id", ""))
            table = action == "get_simple_data_table"
            limit = None if table else (_int(params.get("limit")) or 4)
            body = (
                render.short_epg(cat, i, limit, time.time(), table=table)
                if i is not None
                else {"epg_listings": []}
            )
            return _json(render.php_json(body))
        return _json(b"[]")

    def account(self, request: Request) -> dict[str, Any]:
        cfg = self.config
        now = datetime.now(UTC)
        return {
            "user_info": {
                "username": cfg.username,
                "password": cfg.password,
                "message": "Welcome",
                "auth": 1,
                "status": cfg.status,
                "exp_date": None if cfg.exp_date is None else str(cfg.exp_date),
                "is_trial": "0",
                "active_cons": "0",
                "created_at": "1757512912",
                "max_connections": str(cfg.max_connections),
                "allowed_output_formats": list(cfg.allowed_output_formats),
            },
            "server_info": {
                "url": request.url.hostname,
                "port": str(request.url.port or 80),
                "https_port": "443",
                "server_protocol": request.url.scheme,
                "rtmp_port": "8888",
                "timezone": cfg.timezone,
                "timestamp_now": int(now.timestamp()),
                "time_now": now.strftime("%Y-%m-%d %H:%M:%S"),
            },
        }

    async def xmltv(self, request: Request) -> Response:
        with self._lock:
            self.requests.append(("/xmltv.php", "", ""))
        if not self._authorised(
            request.query_params.get("username"), request.query_params.get("password")
        ):
            return PlainTextResponse("Unauthorized", status_code=401)
        body = self._cached(("xmltv", None), lambda: render.xmltv(self.catalog))
        return Response(body, media_type="application/xml")

    # ---- streams ---------------------------------------------------------------------
    def _stream_target(self, request: Request) -> tuple[str, str] | Response:
        params = request.path_params
        with self._lock:
            self.requests.append((request.url.path.split("/")[1], "stream", params["name"]))
        if not self._authorised(params["user"], params["password"]):
            return PlainTextResponse("Forbidden", status_code=403)
        stem, _, ext = params["name"].rpartition(".")
        return stem, ext

    async def live(self, request: Request) -> Response:
        target = self._stream_target(request)
        if isinstance(target, Response):
            return target
        stem, ext = target
        if (
            self.catalog.index_of("live", stem) is None
            or ext not in self.config.allowed_output_formats
        ):
            return PlainTextResponse("Not Found", status_code=404)
        if ext == "ts":
            return Response(media.ts_bytes(), media_type="video/mp2t")
        token = hashlib.sha256(f"{self.config.username}:{stem}".encode()).hexdigest()[:24]
        playlist = (
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n"
            f"#EXTINF:{media.SEGMENT_SECONDS:.3f},\n/hls/{token}/{stem}_0.ts\n#EXT-X-ENDLIST\n"
        )
        return Response(playlist, media_type="application/vnd.apple.mpegurl")

    async def segment(self, request: Request) -> Response:
        stem = request.path_params["name"].partition("_")[0]
        token = hashlib.sha256(f"{self.config.username}:{stem}".encode()).hexdigest()[:24]
        if request.path_params["token"] != token or self.catalog.index_of("live", stem) is None:
            return PlainTextResponse("Not Found", status_code=404)
        return Response(media.ts_bytes(), media_type="video/mp2t")

    async def movie(self, request: Request) -> Response:
        target = self._stream_target(request)
        if isinstance(target, Response):
            return target
        if self.catalog.index_of("vod", target[0]) is None:
            return PlainTextResponse("Not Found", status_code=404)
        return _ranged(request, media.mp4_bytes(), "video/mp4")

    async def episode(self, request: Request) -> Response:
        target = self._stream_target(request)
        if isinstance(target, Response):
            return target
        if self.catalog.episode(target[0]) is None:
            return PlainTextResponse("Not Found", status_code=404)
        return _ranged(request, media.mp4_bytes(), "video/mp4")

    async def image(self, request: Request) -> Response:
        return Response(PNG, media_type="image/png", headers={"Cache-Control": "max-age=86400"})
