"""Streams (through the proxy) and artwork (through the image cache) of catalog items."""

from __future__ import annotations

import logging
from typing import Annotated, Literal

import httpx
from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import FileResponse, RedirectResponse, Response

from reel.errors import NotFound
from reel.sources.base import SourceAdapter, StreamMode
from reel.sources.local.adapter import LocalAdapter
from reel.web import local_media
from reel.web.adapters import ItemRef, item_ref
from reel.web.errors import error_response, json_response
from reel.web.images import ImageUnavailable
from reel.web.params import ItemId
from reel.web.proxy import Target, resolve
from reel.web.routes.settings import load_settings
from reel.web.security import CurrentUser
from reel.web.services import AppServices, services
from reel.web.threads import in_thread

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api", tags=["media"])
Svc = Annotated[AppServices, Depends(services)]
Mode = Literal["direct", "hls", "auto"]
Part = Annotated[int, Query(ge=1, le=99)]
Transcodes = Annotated[local_media.Transcodes, Depends(local_media.transcodes_of)]

IMAGE_CACHE_CONTROL = "private, max-age=31536000, immutable"
MIME_BY_EXT = {
    "m3u8": "application/vnd.apple.mpegurl",
    "mp4": "video/mp4",
    "m4v": "video/mp4",
    "mkv": "video/x-matroska",
    "webm": "video/webm",
    "ts": "video/mp2t",
    "avi": "video/x-msvideo",
    "mov": "video/quicktime",
}


def _mode(item: ItemRef, mode: Mode) -> StreamMode:
    if mode != "auto":
        return mode
    return "hls" if item.type == "channel" else "direct"


async def _item(svc: AppServices, item_id: int) -> tuple[ItemRef, SourceAdapter]:
    item = await in_thread(item_ref, svc.sources, item_id)
    return item, await svc.adapters.get(item.source)


async def _target(svc: AppServices, item_id: int, mode: Mode) -> tuple[ItemRef, Target]:
    item, adapter = await _item(svc, item_id)
    return item, resolve(adapter, item, _mode(item, mode))


async def _local_file(svc: AppServices, item_id: int, part: int) -> local_media.LocalFile:
    item, adapter = await _item(svc, item_id)
    if not isinstance(adapter, LocalAdapter):
        raise NotFound(f"item {item_id} is not a local file; play it through its /stream")
    return await local_media.local_file(svc.db, adapter, item, part)


@router.get("/items/{item_id}/play")
async def play_info(
    item_id: ItemId, caller: CurrentUser, svc: Svc, mode: Mode = "auto"
) -> Response:
    """How to play an item: the proxied URL for <video>/hls.js, and where to resume."""
    item, adapter = await _item(svc, item_id)
    if isinstance(adapter, LocalAdapter):
        file = await local_media.local_file(svc.db, adapter, item, 1)
        hls = mode == "hls" or (mode == "auto" and not local_media.browser_playable(file))
        state = await in_thread(svc.playback.get, caller.user.id, item_id)
        return json_response(
            {
                "url": f"/api/items/{item_id}/hls/index.m3u8"
                if hls
                else f"/api/items/{item_id}/stream?mode=direct",
                "mode": "hls" if hls else "direct",
                "live": False,
                "mime": MIME_BY_EXT["m3u8"] if hls else local_media.mime_of(file),
                "position_ms": 0 if state.played else state.position_ms,
                "source_status": item.source_status,
            }
        )
    target = resolve(adapter, item, _mode(item, mode))
    chosen = _mode(item, mode)
    ext = target.url.split("?")[0].rsplit(".", 1)[-1].lower() if "." in target.url else ""
    mime = MIME_BY_EXT.get("m3u8" if chosen == "hls" else ext) or MIME_BY_EXT.get(ext)
    state = await in_thread(svc.playback.get, caller.user.id, item_id)
    return json_response(
        {
            "url": f"/api/items/{item_id}/stream?mode={chosen}",
            "mode": "hls" if mime == MIME_BY_EXT["m3u8"] else chosen,
            "live": item.type == "channel",
            "mime": mime,
            "position_ms": 0 if state.played else state.position_ms,
            "source_status": item.source_status,
        }
    )


@router.get("/items/{item_id}/stream")
async def stream(
    item_id: ItemId,
    request: Request,
    _caller: CurrentUser,
    svc: Svc,
    transcodes: Transcodes,
    mode: Mode = "auto",
    part: Part = 1,
) -> Response:
    """The media bytes through the proxy (Range → 206); HLS playlists are rewritten.
    Local files are served from disk, or converted to HLS when a browser cannot play them."""
    item, adapter = await _item(svc, item_id)
    if isinstance(adapter, LocalAdapter):
        file = await local_media.local_file(svc.db, adapter, item, part)
        if mode == "direct" or (mode == "auto" and local_media.browser_playable(file)):
            return local_media.direct_response(file)
        return await local_media.playlist_response(transcodes, file)
    target = resolve(adapter, item, _mode(item, mode))
    headers = dict(request.headers)
    settings = await in_thread(load_settings, svc)
    if settings["stream_mode"] == "redirect" and not target.headers and item.type != "channel":
        return RedirectResponse(target.url, status_code=302)
    return await svc.proxy.forward(item_id, target.url, target, headers)


@router.get("/items/{item_id}/stream/seg")
async def stream_segment(
    item_id: ItemId,
    request: Request,
    _caller: CurrentUser,
    svc: Svc,
    u: Annotated[str, Query(max_length=8192)],
    s: Annotated[str, Query(max_length=64)],
) -> Response:
    """A segment or variant playlist named in a playlist this proxy rewrote."""
    url = svc.proxy.verify(item_id, u, s)
    _item, target = await _target(svc, item_id, "hls")
    return await svc.proxy.forward(item_id, url, target, dict(request.headers))


@router.get("/items/{item_id}/hls/index.m3u8")
async def local_playlist(
    item_id: ItemId, _caller: CurrentUser, svc: Svc, transcodes: Transcodes, part: Part = 1
) -> Response:
    """The HLS playlist of a local file's transcode (started on the first request)."""
    file = await _local_file(svc, item_id, part)
    return await local_media.playlist_response(transcodes, file)


@router.get("/items/{item_id}/hls/{segment}")
async def local_segment(
    item_id: ItemId,
    segment: Annotated[str, Path(max_length=40)],
    _caller: CurrentUser,
    svc: Svc,
    transcodes: Transcodes,
    part: Part = 1,
) -> Response:
    """One segment of a running (or finished, not yet reaped) transcode."""
    if not local_media.SEGMENT.match(segment):
        raise NotFound("no such segment")
    file = await _local_file(svc, item_id, part)
    return local_media.segment_response(transcodes, file, segment)


@router.get("/items/{item_id}/image/{kind}")
async def image(
    item_id: ItemId,
    kind: Annotated[str, Path(max_length=40)],
    request: Request,
    _caller: CurrentUser,
    svc: Svc,
) -> Response:
    """Artwork from the cache (fetched from the source once); served while it is offline."""
    item = await in_thread(item_ref, svc.sources, item_id)
    ref = item.artwork.get(kind)
    if not isinstance(ref, str) or not ref:
        raise NotFound(f"item {item_id} has no {kind} artwork")
    key = svc.images.key(item.source_id, ref)

    async def fetch() -> tuple[bytes, str | None]:
        adapter = await svc.adapters.get(item.source)
        url, headers = adapter.image_request(ref)
        try:
            response = await svc.proxy.client.get(url, headers=headers, follow_redirects=True)
        except httpx.HTTPError as exc:
            reason = type(exc).__name__
            raise ImageUnavailable(
                f"the artwork is not cached and {item.source} cannot be reached ({reason})"
            ) from None
        if response.status_code != 200:
            raise ImageUnavailable(f"{item.source} answered {response.status_code} for the artwork")
        return response.content, response.headers.get("content-type")

    try:
        cached = await svc.images.get(key, fetch)
    except ImageUnavailable as exc:
        return error_response(str(exc), 404 if "answered 404" in str(exc) else 503)
    etag = f'"{cached.sha256}"'
    headers = {
        "Cache-Control": IMAGE_CACHE_CONTROL,
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return FileResponse(cached.path, media_type=cached.content_type, headers=headers)
