"""Plex Media Server endpoints of the fake: identity, library, listings with media-query
filters and container paging, metadata, children, watch-state calls, artwork and files.

Quirks kept from the real server: XML unless `Accept: application/json`; the token in
`X-Plex-Token` (header or query); 401 with an HTML body; `ratingKey` as a string in JSON;
`totalSize`/`offset` only on paged answers; filters as `field>>=value` with the operator in
the (URL-encoded) name; `/identity` needs no token.
"""

from __future__ import annotations

import hashlib
import re
import time
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from reel.testing.fakes.plex import render
from reel.testing.fakes.plex.library import PART_SIZE, Item
from reel.testing.fakes.plex.query import booleans as _booleans
from reel.testing.fakes.plex.query import filters as _filters
from reel.testing.fakes.plex.query import match as _match

if TYPE_CHECKING:
    from reel.testing.fakes.plex import FakePlex

UNAUTHORIZED = (
    "<html><head><title>Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>"
)
# A 1x1 PNG: enough for an <img> to load.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2d6d3"
    "a60000000049454e44ae426082"
)
_TYPE_NAMES = {"1": "movie", "2": "show", "3": "season", "4": "episode"}


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _header_or_query(request: Request, name: str) -> str | None:
    return request.headers.get(name) or request.query_params.get(name)


class PmsRoutes:
    """Request handlers bound to one fake server's state."""

    def __init__(self, fake: FakePlex) -> None:
        self.fake = fake
        self.lib = fake.library

    def _auth(self, request: Request) -> Response | None:
        token = _header_or_query(request, "X-Plex-Token")
        if token is None or token not in self.fake.tokens:
            return Response(UNAUTHORIZED, status_code=401, media_type="text/html")
        return None

    def _send(
        self, request: Request, body: bytes, headers: dict[str, str] | None = None
    ) -> Response:
        kind = "application/json" if _wants_json(request) else "text/xml;charset=utf-8"
        return Response(body, media_type=kind, headers=headers)

    def _page(self, request: Request, items: list[Item], attrs: dict[str, Any]) -> Response:
        start = int(_header_or_query(request, "X-Plex-Container-Start") or 0)
        size_raw = _header_or_query(request, "X-Plex-Container-Size")
        headers: dict[str, str] = {}
        total = len(items)
        if size_raw is not None:
            page = items[start : start + max(int(size_raw), 0)]
            attrs.update(totalSize=total, offset=start)
            headers = {
                "X-Plex-Container-Start": str(start),
                "X-Plex-Container-Total-Size": str(total),
            }
        else:
            page = items
        attrs["size"] = len(page)
        guids = request.query_params.get("includeGuids") == "1"
        api_1 = (_header_or_query(request, "X-Plex-Pms-Api-Version") or "0").split(".")[0] not in (
            "",
            "0",
        )
        shape = render.Shape.of(dict(request.query_params), api_1)
        with self.lib.lock:
            nodes = [self._node(i, shape, guids) for i in page]
        body = render.container(
            attrs, nodes, json=_wants_json(request), xml_tags=render.item_tags(page)
        )
        return self._send(request, body, headers)

    def _node(self, item: Item, shape: render.Shape | None, guids: bool) -> render.Node:
        if shape is None:
            return render.item_node(self.lib, item, guids=guids)
        cheap = shape.cheap_node(item)
        if cheap is not None:
            return cheap
        return shape.apply(render.item_node(self.lib, item, guids=guids))

    async def root(self, request: Request) -> Response:
        if denied := self._auth(request):
            return denied
        cfg = self.fake.config
        attrs = {
            "size": 3,
            "allowSync": True,
            "friendlyName": cfg.name,
            "machineIdentifier": cfg.machine_identifier,
            "myPlex": True,
            "myPlexMappingState": "mapped",
            "myPlexSigninState": "ok",
            "myPlexSubscription": True,
            "myPlexUsername": cfg.username,
            "multiuser": True,
            "platform": "Linux",
            "platformVersion": "6.1",
            "transcoderVideo": True,
            "updatedAt": int(time.time()),
            "version": cfg.version,
        }
        dirs = [{"count": 1, "key": k, "title": k} for k in ("library", "status", "video")]
        return self._send(
            request,
            render.container(
                attrs,
                dirs,
                json=_wants_json(request),
                child_key="Directory",
                xml_tags=["Directory"] * 3,
            ),
        )

    async def identity(self, request: Request) -> Response:
        cfg = self.fake.config
        attrs = {
            "size": 0,
            "apiVersion": "1.1.1",
            "claimed": True,
            "machineIdentifier": cfg.machine_identifier,
            "version": cfg.version,
        }
        return self._send(request, render.container(attrs, [], json=_wants_json(request)))

    async def library_root(self, request: Request) -> Response:
        if denied := self._auth(request):
            return denied
        attrs = {
            "size": 3,
            "allowSync": False,
            "identifier": render.IDENTIFIER,
            "mediaTagPrefix": "/system/bundle/media/flags/",
            "mediaTagVersion": render.MEDIA_TAG_VERSION,
            "title1": "Plex Library",
            "title2": "",
        }
        dirs = [
            {"key": k, "title": t}
            for k, t in (
                ("sections", "Library Sections"),
                ("recentlyAdded", "Recently Added Content"),
                ("onDeck", "On Deck Content"),
            )
        ]
        return self._send(
            request,
            render.container(
                attrs,
                dirs,
                json=_wants_json(request),
                child_key="Directory",
                xml_tags=["Directory"] * 3,
            ),
        )

    async def sections(self, request: Request) -> Response:
        if denied := self._auth(request):
            return denied
        nodes = [render.section_node(self.lib, s) for s in self.lib.sections]
        attrs = {
            "size": len(nodes),
            "allowSync": False,
            "title1": "Plex Library",
            "identifier": render.IDENTIFIER,
        }
        return self._send(
            request,
            render.container(
                attrs,
                nodes,
                json=_wants_json(request),
                child_key="Directory",
                xml_tags=["Directory"] * len(nodes),
            ),
        )

    async def section_all(self, request: Request) -> Response:
        if denied := self._auth(request):
            return denied
        section = self.lib.section(int(request.path_params["key"]))
        if section is None:
            return PlainTextResponse("Not Found", status_code=404)
        default = {"movie": "movie", "show": "show"}.get(section.type, "")
        item_type = _TYPE_NAMES.get(request.query_params.get("type", ""), default)
        filters = _filters(request)
        flags = _booleans(request)
        with self.lib.lock:
            items = self.lib.of(section.key, item_type)
            if filters or flags:  # a plain listing pages through the index as it stands
                items = [i for i in items if _match(i, filters, flags)]
        attrs = {
            "allowSync": True,
            "art": f"/:/resources/{section.type}-fanart.jpg",
            "identifier": render.IDENTIFIER,
            "librarySectionID": section.key,
            "librarySectionTitle": section.title,
            "librarySectionUUID": section.uuid,
            "mediaTagPrefix": "/system/bundle/media/flags/",
            "mediaTagVersion": render.MEDIA_TAG_VERSION,
            "nocache": True,
            "thumb": f"/:/resources/{section.type}.png",
            "title1": section.title,
            "title2": f"All {item_type.title()}s",
            "viewGroup": item_type,
            "viewMode": 65592,
        }
        return self._page(request, items, attrs)

    def _item(self, request: Request) -> Item | None:
        try:
            return self.lib.items.get(int(request.path_params["key"]))
        except ValueError:
            return None

    async def metadata(self, request: Request) -> Response:
        if denied := self._auth(request):
            return denied
        keys = [k for k in request.path_params["key"].split(",") if k.isdigit()]
        items = [self.lib.items[int(k)] for k in keys if int(k) in self.lib.items]
        if not items:
            return PlainTextResponse("Not Found", status_code=404)
        with self.lib.lock:
            nodes = [render.item_node(self.lib, i, guids=True, detail=True) for i in items]
        attrs = {
            "size": len(nodes),
            "allowSync": True,
            "identifier": render.IDENTIFIER,
            "librarySectionID": items[0].section,
            "mediaTagPrefix": "/system/bundle/media/flags/",
            "mediaTagVersion": render.MEDIA_TAG_VERSION,
        }
        return self._send(
            request,
            render.container(
                attrs, nodes, json=_wants_json(request), xml_tags=render.item_tags(items)
            ),
        )

    async def children(self, request: Request) -> Response:
        if denied := self._auth(request):
            return denied
        item = self._item(request)
        if item is None:
            return PlainTextResponse("Not Found", status_code=404)
        leaves = request.url.path.endswith("/allLeaves")
        kids = self.lib.leaves(item) if leaves else self.lib.children(item)
        attrs = {
            "allowSync": True,
            "identifier": render.IDENTIFIER,
            "key": str(item.rating_key),
            "librarySectionID": item.section,
            "parentRatingKey": item.rating_key,
            "parentTitle": item.title,
            "title1": item.title,
            "viewGroup": "episode" if leaves or item.type == "season" else "season",
        }
        return self._page(request, kids, attrs)

    async def image(self, request: Request) -> Response:
        if denied := self._auth(request):
            return denied
        if self._item(request) is None:
            return PlainTextResponse("Not Found", status_code=404)
        return Response(PNG, media_type="image/png")

    async def part(self, request: Request) -> Response:
        if denied := self._auth(request):
            return denied
        item = self.lib.by_part(int(request.path_params["part"]))
        if item is None:
            return PlainTextResponse("Not Found", status_code=404)
        data = part_bytes(item.part_id or 0)
        kind = "video/mp4" if item.container == "mp4" else "video/x-matroska"
        rng = re.fullmatch(r"bytes=(\d*)-(\d*)", request.headers.get("range", ""))
        if not rng or rng.group(1) == rng.group(2) == "":
            return Response(data, media_type=kind, headers={"Accept-Ranges": "bytes"})
        if rng.group(1) == "":
            start, end = max(PART_SIZE - int(rng.group(2)), 0), PART_SIZE - 1
        else:
            start = int(rng.group(1))
            end = min(int(rng.group(2)) if rng.group(2) else PART_SIZE - 1, PART_SIZE - 1)
        if start >= PART_SIZE or start > end:
            return Response(status_code=416, headers={"Content-Range": f"bytes */{PART_SIZE}"})
        headers = {"Content-Range": f"bytes {start}-{end}/{PART_SIZE}", "Accept-Ranges": "bytes"}
        return Response(data[start : end + 1], status_code=206, media_type=kind, headers=headers)

    async def scrobble(self, request: Request) -> Response:
        if denied := self._auth(request):
            return denied
        key = request.query_params.get("key", "")
        if request.query_params.get("identifier") != render.IDENTIFIER:
            return PlainTextResponse("Bad Request", status_code=400)
        if not key.isdigit():
            return PlainTextResponse("Bad Request", status_code=400)
        played = request.url.path.endswith("/scrobble")
        ok = self.lib.mark_watched(int(key)) if played else self.lib.mark_unwatched(int(key))
        return Response(status_code=200) if ok else PlainTextResponse("Not Found", status_code=404)

    async def timeline(self, request: Request) -> Response:
        if denied := self._auth(request):
            return denied
        q = request.query_params
        key = q.get("ratingKey") or q.get("key", "").rsplit("/", 1)[-1]
        state = q.get("state", "")
        if not key.isdigit() or state not in ("playing", "paused", "stopped", "buffering"):
            return PlainTextResponse("Bad Request", status_code=400)
        duration = int(q["duration"]) if q.get("duration", "").isdigit() else None
        if not self.lib.timeline(int(key), state, int(float(q.get("time", "0") or 0)), duration):
            return PlainTextResponse("Not Found", status_code=404)
        body = render.container({"size": 0}, [], json=_wants_json(request))
        return self._send(request, body)

    async def transcode(self, request: Request) -> Response:
        if denied := self._auth(request):
            return denied
        path = request.query_params.get("path", "")
        item = (
            self.lib.items.get(int(path.rsplit("/", 1)[-1]))
            if path.rsplit("/", 1)[-1].isdigit()
            else None
        )
        if item is None or item.part_key is None:
            return PlainTextResponse("Bad Request", status_code=400)
        duration = (item.duration or 0) / 1000
        playlist = (
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXT-X-PLAYLIST-TYPE:VOD\n"
            f"#EXTINF:{duration:.3f},\n{item.part_key}\n#EXT-X-ENDLIST\n"
        )
        return Response(playlist, media_type="application/vnd.apple.mpegurl")

    def routes(self) -> list[Route]:
        any_method = ["GET", "PUT", "POST"]
        return [
            Route("/", self.root),
            Route("/identity", self.identity),
            Route("/library", self.library_root),
            Route("/library/", self.library_root),
            Route("/library/sections", self.sections),
            Route("/library/sections/", self.sections),
            Route("/library/sections/{key:int}/all", self.section_all),
            Route("/library/metadata/{key}", self.metadata),
            Route("/library/metadata/{key}/children", self.children),
            Route("/library/metadata/{key}/allLeaves", self.children),
            Route("/library/metadata/{key}/thumb/{ts}", self.image),
            Route("/library/metadata/{key}/art/{ts}", self.image),
            Route("/library/parts/{part:int}/{ts}/{name}", self.part),
            Route("/:/scrobble", self.scrobble, methods=any_method),
            Route("/:/unscrobble", self.scrobble, methods=any_method),
            Route("/:/timeline", self.timeline, methods=any_method),
            Route("/video/:/transcode/universal/start.m3u8", self.transcode),
        ]


def part_bytes(part_id: int) -> bytes:
    """Deterministic file content for a part: the same bytes on every request."""
    seed = hashlib.sha256(str(part_id).encode()).digest()
    return (seed * (PART_SIZE // len(seed) + 1))[:PART_SIZE]
