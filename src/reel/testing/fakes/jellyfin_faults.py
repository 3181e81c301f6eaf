"""Fault modes tests switch on at runtime: what flaky servers and networks do.

`5xx` answers 503; `slow` delays the answer; `truncated` drops the connection halfway
through the body; `reset` drops it right after the headers; `html` answers 200 with a
reverse proxy's HTML page; `revoked` signs every device out (then 401s follow). A fault
hits the next `count` matching requests (all of them when `count` is None).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

HTML_PAGE = b"<!DOCTYPE html><html><body><h1>Sign in to the proxy</h1></body></html>"


class FaultAbort(Exception):
    """Raised inside the app to make the server drop the connection mid-response."""


class Faults:
    """The active fault, shared between the test thread and the server thread."""

    MODES = ("5xx", "slow", "truncated", "reset", "html", "revoked")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.mode: str | None = None
        self.remaining: int | None = None
        self.delay = 0.5
        self.path: str | None = None
        self.hits = 0

    def set(
        self, mode: str, *, count: int | None = None, delay: float = 0.5, path: str | None = None
    ) -> None:
        """Switch a fault on for the next `count` requests whose path starts with `path`."""
        if mode not in self.MODES:
            raise ValueError(f"unknown fault {mode!r}; known: {', '.join(self.MODES)}")
        with self._lock:
            self.mode, self.remaining, self.delay = mode, count, delay
            self.path = path.lower() if path else None
            self.hits = 0

    def clear(self) -> None:
        """Back to a healthy server."""
        with self._lock:
            self.mode = None

    def take(self, path: str) -> str | None:
        """The fault to apply to this request, if any (and count it)."""
        with self._lock:
            if self.mode is None or (self.path and not path.startswith(self.path)):
                return None
            if self.remaining is not None:
                if self.remaining <= 0:
                    self.mode = None
                    return None
                self.remaining -= 1
            self.hits += 1
            return self.mode


class FaultMiddleware:
    """Routes case-insensitively (as ASP.NET does) and applies the active fault."""

    def __init__(self, app: Any, faults: Faults, revoke: Callable[[], None]) -> None:
        self.app = app
        self.faults = faults
        self.revoke = revoke

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"].lower()
        scope = {**scope, "path": path, "raw_path": path.encode()}
        mode = self.faults.take(path)
        if mode == "5xx":
            await _send(send, 503, b"Service Unavailable", b"text/plain")
            return
        if mode == "html":
            await _send(send, 200, HTML_PAGE, b"text/html; charset=utf-8")
            return
        if mode == "slow":
            await asyncio.sleep(self.faults.delay)
        elif mode == "revoked":
            self.revoke()
        elif mode in ("truncated", "reset"):
            send = _breaking_send(send, keep_half=mode == "truncated")
        await self.app(scope, receive, send)


async def _send(send: Any, status: int, body: bytes, content_type: bytes) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _breaking_send(send: Any, *, keep_half: bool) -> Any:
    async def wrapped(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            body = message.get("body", b"")
            if keep_half and body:
                await send({"type": "http.response.body", "body": body[: len(body) // 2],
                            "more_body": True})  # fmt: skip
            raise FaultAbort("connection dropped by fault mode")
        await send(message)

    return wrapped
