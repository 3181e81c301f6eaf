"""The fake Jellyfin's routes: what each endpoint answers, as the 12.0 server does.

Handlers that need a signed-in user are wrapped by `authed` (401 without a valid token);
images, public info and `/Videos/{id}/stream` are anonymous, as in the server's spec.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reel.testing.fakes.jellyfin_data import (
    FakeUser,
    FakeUserData,
    apply_stop,
    mark_played,
    stable_id,
)
from reel.testing.fakes.jellyfin_dto import (
    QueryError,
    item_dto,
    library_dto,
    parse_date,
    user_data_dto,
)

if TYPE_CHECKING:
    from reel.testing.fakes.jellyfin import FakeJellyfin

#: The smallest valid PNG (1×1, transparent): artwork bytes for every image.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8ffff3f0005fe02fea7d6a4bc0000000049454e44ae426082"
)


def _problem(status: int, title: str) -> Response:
    body = {"type": "about:blank", "title": title, "status": status}
    return Response(orjson.dumps(body), status, media_type="application/problem+json")


def routes(fake: FakeJellyfin) -> list[Route]:
    data = fake.data

    def authed(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            device = fake.device(request)
            if device is None:
                return Response(status_code=401)
            user = data.user_by_id(device.user_id)
            if user is None:
                return Response(status_code=401)
            return await handler(request, user)

        return endpoint

    def resolve_user(request: Request, user: FakeUser) -> FakeUser | Response:
        wanted = request.path_params.get("user_id") or request.query_params.get("userId")
        if not wanted:
            return user
        other = data.user_by_id(wanted)
        if other is None:
            return _problem(404, "User not found")
        if other.id != user.id and user.id != data.users[0].id:
            return Response(status_code=403)
        return other

    async def public_info(request: Request) -> Response:
        return fake.json(_system_info(fake, request))

    async def system_info(request: Request, user: FakeUser) -> Response:
        return fake.json({**_system_info(fake, request), "OperatingSystemDisplayName": "Linux"})

    async def authenticate(request: Request) -> Response:
        parts, _ = fake.authorization(request)
        needed = ("Client", "Device", "DeviceId", "Version")
        if any(not parts.get(name) for name in needed):
            return _problem(400, "Value cannot be null or empty. (Parameter 'request.App')")
        try:
            body = {str(k).lower(): v for k, v in orjson.loads(await request.body()).items()}
        except (orjson.JSONDecodeError, AttributeError):
            return _problem(400, "One or more validation errors occurred.")
        user = data.user_by_name(str(body.get("username") or ""))
        if user is None or body.get("pw") != user.password:
            return _problem(401, "Invalid username or password entered.")
        token = data.login(
            user, parts["DeviceId"], parts["Client"], parts["Version"], parts["Device"]
        )
        return fake.json(
            {
                "User": _user_dto(fake, user),
                "SessionInfo": {
                    "Id": stable_id(0, token),
                    "UserId": user.id,
                    "DeviceId": parts["DeviceId"],
                    "Client": parts["Client"],
                },
                "AccessToken": token,
                "ServerId": fake.server_id,
            }
        )

    async def me(request: Request, user: FakeUser) -> Response:
        return fake.json(_user_dto(fake, user))

    async def views(request: Request, user: FakeUser) -> Response:
        target = resolve_user(request, user)
        if isinstance(target, Response):
            return target
        items = [library_dto(lib, fake.server_id) for lib in data.libraries]
        return fake.json({"Items": items, "TotalRecordCount": len(items), "StartIndex": 0})

    async def items(request: Request, user: FakeUser) -> Response:
        target = resolve_user(request, user)
        if isinstance(target, Response):
            return target
        query: dict[str, list[str]] = {}
        for key, value in request.query_params.multi_items():
            query.setdefault(key.lower(), []).append(value)
        try:
            with data.lock:
                page, total, start = fake.query.run(query, target.id)
                render = _renderer(fake, query, target.id)
                body = [render(entry) for entry in page]
            if (query.get("enabletotalrecordcount") or ["true"])[-1].lower() == "false":
                total = len(page)  # the server skips its count query and reports the page
        except (QueryError, ValueError) as exc:
            return _problem(400, str(exc))
        return fake.json({"Items": body, "TotalRecordCount": total, "StartIndex": start})

    async def one_item(request: Request, user: FakeUser) -> Response:
        target = resolve_user(request, user)
        if isinstance(target, Response):
            return target
        item = data.items.get(request.path_params["item_id"].replace("-", ""))
        if item is None:
            return _problem(404, "Item not found")
        query = {"fields": ["Overview,Genres,ProviderIds,DateCreated,SortName,Path,ParentId"]}
        return fake.json(_dto(fake, item, query, target.id))

    async def image(request: Request) -> Response:
        item = data.items.get(request.path_params["item_id"])
        kind = request.path_params["image_type"].lower()
        has = item is not None and (
            any(k.lower() == kind for k in item.image_tags)
            or (kind == "backdrop" and bool(item.backdrop_tags))
        )
        if not has:
            return _problem(404, "Image not found")
        content = b"" if request.method == "HEAD" else TINY_PNG
        return Response(
            content, media_type="image/png", headers={"Content-Length": str(len(TINY_PNG))}
        )

    def playback(event: str) -> Any:
        async def handler(request: Request, user: FakeUser) -> Response:
            body = {str(k).lower(): v for k, v in orjson.loads(await request.body()).items()}
            item = data.items.get(str(body.get("itemid", "")).replace("-", ""))
            fake.playback_reports.append((event, body))
            ticks = body.get("positionticks")
            if item is not None and isinstance(ticks, int):
                with data.lock:
                    ud = data.user_data.setdefault((user.id, item.id), FakeUserData())
                    now = datetime.now(UTC)
                    if event == "stopped":
                        apply_stop(ud, ticks, item.runtime_ticks, now)
                    else:
                        ud.position_ticks = ticks
                        ud.last_played = now
                    data.user_version += 1
            return Response(status_code=204)

        return handler

    async def played(request: Request, user: FakeUser) -> Response:
        target = resolve_user(request, user)
        if isinstance(target, Response):
            return target
        item = data.items.get(request.path_params["item_id"].replace("-", ""))
        if item is None:
            return _problem(404, "Item not found")
        date_played = None
        if raw := request.query_params.get("datePlayed"):
            try:
                date_played = parse_date(raw)
            except QueryError as exc:
                return _problem(400, str(exc))
        with data.lock:
            ud = data.user_data.setdefault((target.id, item.id), FakeUserData())
            mark_played(ud, request.method == "POST", datetime.now(UTC), date_played)
            data.user_version += 1
            return fake.json(user_data_dto(item.id, ud, item.runtime_ticks))

    async def item_user_data(request: Request, user: FakeUser) -> Response:
        item = data.items.get(request.path_params["item_id"].replace("-", ""))
        if item is None:
            return _problem(404, "Item not found")
        return fake.json(
            user_data_dto(item.id, data.data_for(user.id, item.id), item.runtime_ticks)
        )

    async def stream(request: Request) -> Response:
        item = data.items.get(request.path_params["item_id"])
        if item is None or item.type not in ("Movie", "Episode"):
            return _problem(404, "Item not found")
        return _ranged(request, _video_bytes(item.id, fake.config.stream_size))

    async def master(request: Request, user: FakeUser) -> Response:
        item = data.items.get(request.path_params["item_id"])
        if item is None:
            return _problem(404, "Item not found")
        if not request.query_params.get("mediaSourceId"):
            return _problem(400, "The mediaSourceId field is required.")
        playlist = (
            '#EXTM3U\n#EXT-X-STREAM-INF:PROGRAM-ID=1,BANDWIDTH=4000000,CODECS="avc1.640028"\n'
            f"main.m3u8?mediaSourceId={item.id}&playSessionId="
            f"{request.query_params.get('playSessionId', '')}\n"
        )
        return Response(playlist, media_type="application/x-mpegURL")

    return [
        Route("/system/info/public", public_info),
        Route("/system/info", authed(system_info)),
        Route("/users/authenticatebyname", authenticate, methods=["POST"]),
        Route("/users/me", authed(me)),
        Route("/userviews", authed(views)),
        Route("/users/{user_id}/views", authed(views)),
        Route("/items", authed(items)),
        Route("/users/{user_id}/items", authed(items)),
        Route("/users/{user_id}/items/{item_id}", authed(one_item)),
        Route("/items/{item_id}", authed(one_item)),
        Route("/items/{item_id}/images/{image_type}", image, methods=["GET", "HEAD"]),
        Route("/sessions/playing", authed(playback("start")), methods=["POST"]),
        Route("/sessions/playing/progress", authed(playback("progress")), methods=["POST"]),
        Route("/sessions/playing/stopped", authed(playback("stopped")), methods=["POST"]),
        Route("/userplayeditems/{item_id}", authed(played), methods=["POST", "DELETE"]),
        Route("/users/{user_id}/playeditems/{item_id}", authed(played), methods=["POST", "DELETE"]),
        Route("/useritems/{item_id}/userdata", authed(item_user_data)),
        Route("/videos/{item_id}/stream", stream, methods=["GET", "HEAD"]),
        Route("/videos/{item_id}/master.m3u8", authed(master), methods=["GET", "HEAD"]),
    ]


def _system_info(fake: FakeJellyfin, request: Request) -> dict[str, Any]:
    return {
        "LocalAddress": str(request.base_url).rstrip("/"),
        "ServerName": fake.config.server_name,
        "Version": fake.config.version,
        "ProductName": "Jellyfin Server",
        "OperatingSystem": "",
        "Id": fake.server_id,
        "StartupWizardCompleted": True,
    }


def _user_dto(fake: FakeJellyfin, user: FakeUser) -> dict[str, Any]:
    return {
        "Name": user.name,
        "ServerId": fake.server_id,
        "Id": user.id,
        "HasPassword": True,
        "HasConfiguredPassword": True,
        "EnableAutoLogin": False,
        "Policy": {"IsAdministrator": user.id == fake.data.users[0].id, "IsDisabled": False},
    }


def _renderer(
    fake: FakeJellyfin, query: dict[str, list[str]], user_id: str
) -> Callable[[Any], Any]:
    """The DTO of one entry of a response: what the query asks for is read once per
    request, not once per item."""
    first = {k: v[-1].lower() for k, v in query.items() if v}
    fields = {f.strip().lower() for v in query.get("fields", []) for f in v.split(",")}
    with_user_data = first.get("enableuserdata", "true") != "false"
    images = first.get("enableimages", "true") != "false"
    server_id, data_for = fake.server_id, fake.data.data_for

    def render(entry: Any) -> Any:
        if not hasattr(entry, "type"):
            return library_dto(entry, server_id)
        user_data = None
        if with_user_data:
            user_data = user_data_dto(entry.id, data_for(user_id, entry.id), entry.runtime_ticks)
        return item_dto(entry, server_id=server_id, fields=fields, user_data=user_data,
                        images=images)  # fmt: skip

    return render


def _dto(fake: FakeJellyfin, entry: Any, query: dict[str, list[str]], user_id: str) -> Any:
    return _renderer(fake, query, user_id)(entry)


def _video_bytes(item_id: str, size: int) -> bytes:
    block = hashlib.sha256(item_id.encode()).digest()
    return (block * (size // len(block) + 1))[:size]


def _ranged(request: Request, payload: bytes) -> Response:
    """Serve `payload` honouring a single `Range: bytes=a-b` like the real static stream."""
    total = len(payload)
    headers = {"Accept-Ranges": "bytes"}
    spec = request.headers.get("range", "")
    if spec.startswith("bytes=") and "," not in spec:
        first, _, last = spec[6:].partition("-")
        try:
            start = int(first) if first else max(0, total - int(last))
            end = min(int(last), total - 1) if first and last else total - 1
        except ValueError:
            start, end = 0, -1
        if start >= total or start > end:
            return Response(status_code=416, headers={"Content-Range": f"bytes */{total}"})
        headers["Content-Range"] = f"bytes {start}-{end}/{total}"
        body = b"" if request.method == "HEAD" else payload[start : end + 1]
        headers["Content-Length"] = str(end - start + 1)
        return Response(body, 206, headers=headers, media_type="video/x-matroska")
    headers["Content-Length"] = str(total)
    body = b"" if request.method == "HEAD" else payload
    return Response(body, headers=headers, media_type="video/x-matroska")
