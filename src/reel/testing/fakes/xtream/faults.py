"""Runtime-switchable failures, injected in front of the fake's routes.

This is a raw ASGI wrapper rather than Starlette middleware because a connection reset
needs the server's transport, which only the `send` callable uvicorn hands the outermost
app can reach.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qs

log = logging.getLogger(__name__)

FaultMode = Literal["error", "slow", "truncate", "drop", "reset", "html", "auth0"]
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
    b"<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n"
)


@dataclass
class Faults:
    """What to break. Tests set these from their own thread; the server reads them.

    - `error`: answer `status` (default 503) without doing the work;
    - `slow`: wait `delay` seconds, then answer normally;
    - `truncate`: a well-formed HTTP answer whose body is cut in half (invalid JSON);
    - `drop`: headers promise the whole body, half is sent, then the connection closes;
    - `reset`: the connection is reset (TCP RST) before any answer;
    - `html`: 200 with an nginx/PHP HTML error page instead of JSON;
    - `auth0`: 200 with `{"user_info":{"auth":0}}` as classic panels answer bad credentials.

    `actions` limits the fault to those player_api actions ("" is the account call);
    `paths` to URL path prefixes; `remaining` to that many requests (None: until cleared).
    """

    mode: FaultMode | None = None
    status: int = 503
    delay: float = 1.0
    actions: frozenset[str] | None = None
    paths: tuple[str, ...] = ("/player_api.php", "/xmltv.php")
    remaining: int | None = None
    hits: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def set(
        self,
        mode: FaultMode | None,
        *,
        status: int = 503,
        delay: float = 1.0,
        actions: set[str] | frozenset[str] | None = None,
        paths: tuple[str, ...] = ("/player_api.php", "/xmltv.php"),
        times: int | None = None,
    ) -> None:
        """Switch a fault on (or off with None) in one go."""
        with self._lock:
            self.mode, self.status, self.delay = mode, status, delay
            self.actions = frozenset(actions) if actions is not None else None
            self.paths, self.remaining, self.hits = paths, times, 0

    def clear(self) -> None:
        self.set(None)

    def take(self, path: str, action: str) -> FaultMode | None:
        """The fault to apply to this request, counting it against `remaining`."""
        with self._lock:
            if self.mode is None or not path.startswith(self.paths):
                return None
            if self.actions is not None and action not in self.actions:
                return None
            if self.remaining is not None:
                if self.remaining <= 0:
                    return None
                self.remaining -= 1
            self.hits += 1
            return self.mode


def _action(scope: Scope) -> str:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return query.get("action", [""])[0]


def _transport(send: Send) -> Any:
    # uvicorn's `send` is a bound method of its request cycle, which holds the transport
    # (an asyncio or uvloop one: duck-typed, as uvloop's is no asyncio.Transport subclass)
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    return transport if hasattr(transport, "abort") else None


async def _abort(send: Send, *, rst: bool) -> None:
    transport = _transport(send)
    if transport is None:
        raise ConnectionAbortedError("fake fault: connection dropped")
    sock = transport.get_extra_info("socket")
    if rst and sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    await asyncio.sleep(0)  # let the server see the connection is gone before returning


async def _respond(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class FaultInjector:
    """Wraps the fake's ASGI app and applies the current `Faults` to each request."""

    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        mode = self.faults.take(scope["path"], _action(scope))
        if mode is None:
            await self.app(scope, receive, send)
        elif mode == "error":
            body = f"server error {self.faults.status}".encode()
            await _respond(send, self.faults.status, body, b"text/plain")
        elif mode == "html":
            await _respond(send, 200, HTML_PAGE, b"text/html; charset=UTF-8")
        elif mode == "auth0":
            await _respond(send, 200, b'{"user_info":{"auth":0}}', b"application/json")
        elif mode == "reset":
            await _abort(send, rst=True)
        elif mode == "slow":
            await asyncio.sleep(self.faults.delay)
            await self.app(scope, receive, send)
        else:
            await self._cut(mode, scope, receive, send)

    async def _cut(self, mode: FaultMode, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app, then send only half of its body (truncate) or drop mid-body."""
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        body = b"".join(chunks)
        half = body[: len(body) // 2]
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        length = len(half) if mode == "truncate" else len(body)
        headers.append((b"content-length", str(length).encode()))
        await send({"type": "http.response.start", "status": start["status"], "headers": headers})
        if mode == "truncate":
            await send({"type": "http.response.body", "body": half})
            return
        await send({"type": "http.response.body", "body": half, "more_body": True})
        await _abort(send, rst=False)
