"""plex.tv endpoints of the fake: PIN sign-in, the account, and resource discovery.

A PIN is approved the way a person would (`PUT /api/v2/pins/link` with the account token,
or `PlexTv.approve` from a test), or automatically after N checks so a command-line login
against the fake finishes on its own. Expired or unknown PINs answer 404, bad tokens 401
with plex.tv's JSON error body; XML is the default format, JSON when asked.
"""

from __future__ import annotations

import random
import string
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import quoteattr

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@dataclass
class FakePin:
    id: int
    code: str
    client_id: str
    created: float
    ttl: int
    checks: int = 0
    token: str | None = None


@dataclass
class PlexTv:
    """The account and its PINs and resources; tests edit `resources` freely."""

    account_token: str
    username: str = "reel-tester"
    pin_ttl: int = 1800
    approve_after: int | None = None  # auto-approve on the Nth check (None: never)
    resources: list[dict[str, Any]] = field(default_factory=list)
    pins: dict[int, FakePin] = field(default_factory=dict)
    revoked: bool = False
    _rng: random.Random = field(default_factory=lambda: random.Random(7), repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def approve(self, pin_id: int | None = None, code: str | None = None) -> bool:
        """What the person does on plex.tv: attach the account token to the PIN."""
        with self._lock:
            for pin in self.pins.values():
                if pin.id == pin_id or pin.code == code:
                    pin.token = self.account_token
                    return True
        return False

    def _new_pin(self, client_id: str, strong: bool) -> FakePin:
        with self._lock:
            pin_id = 100_000_000 + len(self.pins) + 1
            alphabet = string.ascii_lowercase + string.digits if strong else string.ascii_uppercase
            code = "".join(self._rng.choice(alphabet) for _ in range(25 if strong else 4))
            pin = FakePin(pin_id, code, client_id, time.time(), self.pin_ttl if strong else 900)
            self.pins[pin_id] = pin
            return pin


def _json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _error(request: Request, status: int, code: int, message: str) -> Response:
    if _json(request):
        body = orjson.dumps({"errors": [{"code": code, "message": message, "status": status}]})
        return Response(body, status_code=status, media_type="application/json")
    xml = f'<errors><error code="{code}" message={quoteattr(message)} status="{status}"/></errors>'
    return Response(xml, status_code=status, media_type="application/xml")


def _xml_attrs(data: dict[str, Any]) -> str:
    def value(v: Any) -> str:
        return ("1" if v else "0") if isinstance(v, bool) else "" if v is None else str(v)

    return "".join(
        f" {k}={quoteattr(value(v))}" for k, v in data.items() if not isinstance(v, list)
    )


class PlexTvRoutes:
    def __init__(self, state: PlexTv) -> None:
        self.state = state

    def _pin_doc(self, request: Request, pin: FakePin, status: int = 200) -> Response:
        data = {
            "id": pin.id,
            "code": pin.code,
            "product": "Reel",
            "trusted": False,
            "qr": f"https://plex.tv/api/v2/pins/qr/{pin.code}",
            "clientIdentifier": pin.client_id,
            "expiresIn": max(int(pin.created + pin.ttl - time.time()), 0),
            "createdAt": _iso(pin.created),
            "expiresAt": _iso(pin.created + pin.ttl),
            "authToken": pin.token,
            "newRegistration": None,
        }
        if _json(request):
            return Response(orjson.dumps(data), status_code=status, media_type="application/json")
        return Response(
            f"<pin{_xml_attrs(data)}/>", status_code=status, media_type="application/xml"
        )

    def _client_id(self, request: Request) -> str | None:
        return request.headers.get("X-Plex-Client-Identifier") or request.query_params.get(
            "X-Plex-Client-Identifier"
        )

    def _account(self, request: Request) -> bool:
        token = request.headers.get("X-Plex-Token") or request.query_params.get("X-Plex-Token")
        return not self.state.revoked and token == self.state.account_token

    async def create_pin(self, request: Request) -> Response:
        client_id = self._client_id(request)
        if not client_id:
            return _error(request, 400, 1000, "X-Plex-Client-Identifier is missing")
        strong = request.query_params.get("strong", "").lower() in ("true", "1")
        return self._pin_doc(request, self.state._new_pin(client_id, strong), status=201)

    async def get_pin(self, request: Request) -> Response:
        pin = self.state.pins.get(int(request.path_params["pin_id"]))
        if pin is None or time.time() > pin.created + pin.ttl:
            return _error(request, 404, 1020, "Code not found or expired")
        pin.checks += 1
        approve_after = self.state.approve_after
        if approve_after is not None and pin.checks >= approve_after:
            pin.token = self.state.account_token
        return self._pin_doc(request, pin)

    async def link_pin(self, request: Request) -> Response:
        if not self._account(request):
            return _error(request, 401, 1001, "User could not be authenticated")
        # a form body (python-plexapi's `link`), or `code` in the query string
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        code = (form.get("code") or [request.query_params.get("code", "")])[0]
        if not code or not self.state.approve(code=code):
            return _error(request, 404, 1020, "Code not found or expired")
        return Response(status_code=204)

    async def user(self, request: Request) -> Response:
        if not self._account(request):
            return _error(request, 401, 1001, "User could not be authenticated")
        data = {
            "id": 12345,
            "uuid": "fa1e5c0ffee",
            "username": self.state.username,
            "title": self.state.username,
            "email": f"{self.state.username}@example.invalid",
            "authToken": self.state.account_token,
            "subscription": {"active": True},
        }
        if _json(request):
            return Response(orjson.dumps(data), media_type="application/json")
        return Response(f"<user{_xml_attrs(data)}/>", media_type="application/xml")

    async def resources(self, request: Request) -> Response:
        if not self._account(request):
            return _error(request, 401, 1001, "User could not be authenticated")
        q = request.query_params
        devices = []
        for device in self.state.resources:
            conns = [
                c
                for c in device.get("connections", [])
                if (q.get("includeRelay") == "1" or not c.get("relay"))
                and (q.get("includeHttps") == "1" or c.get("protocol") != "https")
                and (q.get("includeIPv6") == "1" or not c.get("IPv6"))
            ]
            devices.append({**device, "connections": conns})
        if _json(request):
            return Response(orjson.dumps(devices), media_type="application/json")
        parts = [f'<resources size="{len(devices)}">']
        for device in devices:
            parts.append(f"<resource{_xml_attrs(device)}><connections>")
            parts.extend(f"<connection{_xml_attrs(c)}/>" for c in device["connections"])
            parts.append("</connections></resource>")
        parts.append("</resources>")
        return Response("".join(parts), media_type="application/xml")

    def routes(self) -> list[Route]:
        return [
            Route("/api/v2/pins", self.create_pin, methods=["POST"]),
            Route("/api/v2/pins/link", self.link_pin, methods=["PUT"]),
            Route("/api/v2/pins/{pin_id:int}", self.get_pin),
            Route("/api/v2/user", self.user),
            Route("/api/v2/resources", self.resources),
        ]


def server_resource(
    name: str,
    machine_identifier: str,
    access_token: str,
    connections: list[dict[str, Any]],
    *,
    owned: bool = True,
    owner: str | None = None,
    version: str = "1.41.9.9961-46083195d",
) -> dict[str, Any]:
    """A server entry shaped like plex.tv's `/api/v2/resources` (PlexDevice in the spec)."""
    now = _iso(time.time())
    return {
        "name": name,
        "product": "Plex Media Server",
        "productVersion": version,
        "platform": "Linux",
        "platformVersion": "6.1",
        "device": "PC",
        "clientIdentifier": machine_identifier,
        "createdAt": "2023-01-01T00:00:00Z",
        "lastSeenAt": now,
        "provides": "server",
        "ownerId": None if owned else 777,
        "sourceTitle": None if owned else owner,
        "publicAddress": "203.0.113.10",
        "accessToken": access_token,
        "owned": owned,
        "home": False,
        "synced": False,
        "relay": True,
        "presence": True,
        "httpsRequired": False,
        "publicAddressMatches": True,
        "dnsRebindingProtection": False,
        "natLoopbackSupported": True,
        "connections": connections,
    }


def connection(uri: str, *, local: bool = False, relay: bool = False) -> dict[str, Any]:
    """One connection entry; address and port are taken from the URI."""
    scheme, _, rest = uri.partition("://")
    host, _, port = rest.partition(":")
    return {
        "protocol": scheme,
        "address": host,
        "port": int(port.split("/")[0] or 443),
        "uri": uri,
        "local": local,
        "relay": relay,
        "IPv6": False,
    }


def player_resource() -> dict[str, Any]:
    """A player device: discovery must skip it."""
    return {
        "name": "Living Room TV",
        "product": "Plex for Android (TV)",
        "productVersion": "10.0",
        "platform": "Android",
        "platformVersion": "12",
        "device": "SHIELD",
        "clientIdentifier": "player-1",
        "createdAt": "2023-01-01T00:00:00Z",
        "lastSeenAt": "2023-01-02T00:00:00Z",
        "provides": "player,pubsub-player",
        "ownerId": None,
        "sourceTitle": None,
        "publicAddress": "203.0.113.10",
        "accessToken": None,
        "owned": True,
        "home": False,
        "synced": False,
        "relay": False,
        "presence": False,
        "httpsRequired": False,
        "publicAddressMatches": True,
        "dnsRebindingProtection": False,
        "natLoopbackSupported": False,
        "connections": [connection("http://192.0.2.50:32500", local=True)],
    }
