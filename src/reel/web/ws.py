"""`/ws`: the event bus, fanned out to signed-in browsers, with a ping/pong heartbeat.

Each connection subscribes to the bus with its own bounded queue (a slow browser gets
coalesced or dropped events, never slows a sync). Watch-state events go only to the user
they concern. Cross-site connections are refused: a WebSocket handshake carries cookies
but is not bound by CORS, so the Origin check is this endpoint's CSRF protection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from urllib.parse import urlsplit

import msgspec
from starlette.websockets import WebSocket, WebSocketDisconnect

from reel.events.types import Event, WatchStateChanged
from reel.web.security import SESSION_COOKIE, Principal, resolve_principal
from reel.web.services import AppServices
from reel.web.threads import in_thread

log = logging.getLogger(__name__)

PING_EVERY_S = 20.0
PONG_TIMEOUT_S = 60.0
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403

_encoder = msgspec.json.Encoder()


def _same_origin(ws: WebSocket) -> bool:
    origin = ws.headers.get("origin")
    if not origin:
        return True  # not a browser (scripts authenticate with tokens or cookies they hold)
    host = ws.headers.get("host", "")
    return urlsplit(origin).netloc.lower() == host.lower()


def _visible(event: Event, caller: Principal) -> bool:
    if isinstance(event, WatchStateChanged):
        return event.user_id == caller.user.id
    return True


async def _authenticate(ws: WebSocket, svc: AppServices) -> Principal | None:
    token = ws.query_params.get("token")
    cookie = ws.cookies.get(SESSION_COOKIE)
    return await in_thread(resolve_principal, svc, cookie, token)


async def websocket_endpoint(ws: WebSocket) -> None:
    svc: AppServices = ws.app.state.reel
    if not _same_origin(ws):
        await ws.accept()
        await ws.close(code=CLOSE_FORBIDDEN, reason="cross-site connection refused")
        return
    caller = await _authenticate(ws, svc)
    await ws.accept()
    if caller is None:
        await ws.close(code=CLOSE_UNAUTHORIZED, reason="sign in first")
        return
    sub = svc.bus.subscribe()
    last_pong = time.monotonic()

    async def send(data: object) -> None:
        await ws.send_text(_encoder.encode(data).decode())

    async def receive() -> None:
        nonlocal last_pong
        while True:
            message = await ws.receive_text()
            try:
                data = msgspec.json.decode(message)
            except msgspec.DecodeError:
                continue
            kind = data.get("type") if isinstance(data, dict) else None
            if kind == "pong":
                last_pong = time.monotonic()
            elif kind == "ping":
                last_pong = time.monotonic()
                await send({"event": "pong", "t": time.time()})

    async def forward() -> None:
        async for event in sub:
            if _visible(event, caller):
                await send(event.to_dict())

    async def heartbeat() -> None:
        while True:
            await asyncio.sleep(PING_EVERY_S)
            if time.monotonic() - last_pong > PONG_TIMEOUT_S:
                await ws.close(code=1001, reason="no pong")
                return
            if await _authenticate(ws, svc) is None:  # signed out or token revoked
                await ws.close(code=CLOSE_UNAUTHORIZED, reason="session ended")
                return
            await send({"event": "ping", "t": time.time()})

    tasks: list[asyncio.Task[None]] = []
    try:
        await send({"event": "hello", "user": caller.user})
        tasks = [
            asyncio.create_task(receive()),
            asyncio.create_task(forward()),
            asyncio.create_task(heartbeat()),
        ]
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            exc = task.exception()
            if exc is not None and not isinstance(exc, WebSocketDisconnect | RuntimeError):
                log.warning("websocket ended with %s", type(exc).__name__)
    except WebSocketDisconnect:
        pass
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        sub.close()
        with contextlib.suppress(Exception):
            await ws.close()
