"""Runtime fault switches for the fake Plex apps: 5xx, slow answers, truncated bodies and
connections dropped after the headers, for all paths or those under a prefix, for the next
N requests or until cleared."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

FaultMode = Literal["error", "slow", "truncate", "reset"]


class _DropConnection(Exception):
    """Raised inside the app after the headers went out: the server closes the socket."""


@dataclass
class Faults:
    mode: FaultMode | None = None
    status: int = 500
    delay: float = 2.0
    remaining: int | None = None
    path_prefix: str = ""
    hits: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def set(
        self,
        mode: FaultMode,
        *,
        count: int | None = None,
        status: int = 500,
        delay: float = 2.0,
        path_prefix: str = "",
    ) -> None:
        """Switch a fault on for the next `count` matching requests (None: until cleared)."""
        with self._lock:
            self.mode, self.remaining, self.status = mode, count, status
            self.delay, self.path_prefix, self.hits = delay, path_prefix, 0

    def clear(self) -> None:
        with self._lock:
            self.mode, self.remaining = None, None

    def take(self, path: str) -> FaultMode | None:
        with self._lock:
            if self.mode is None or not path.startswith(self.path_prefix):
                return None
            mode = self.mode
            self.hits += 1
            if self.remaining is not None:
                self.remaining -= 1
                if self.remaining <= 0:
                    self.mode, self.remaining = None, None
            return mode


class FaultMiddleware:
    """Pure ASGI middleware so faults apply below any routing or response class."""

    def __init__(self, app: Any, faults: Faults) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        mode = self.faults.take(scope["path"])
        if mode == "error":
            body = f"<html><body><h1>{self.faults.status} Server Error</h1></body></html>"
            await send(
                {
                    "type": "http.response.start",
                    "status": self.faults.status,
                    "headers": [
                        (b"content-type", b"text/html"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body.encode()})
            return
        if mode == "slow":
            await asyncio.sleep(self.faults.delay)
        if mode in ("truncate", "reset"):
            await self.app(scope, receive, _cutting_send(send, mode))
            return
        await self.app(scope, receive, send)


def _cutting_send(send: Any, mode: FaultMode) -> Any:
    async def cut(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            await send(message)
            if mode == "reset":
                raise _DropConnection("connection dropped by fault switch")
            return
        body = message.get("body", b"")
        await send({"type": "http.response.body", "body": body[: len(body) // 2]})
        raise _DropConnection("body truncated by fault switch")

    return cut
