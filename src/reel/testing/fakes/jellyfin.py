"""A fake Jellyfin 12 server: the endpoints Reel and jellyfin-apiclient-python use.

Built from the 12.0.0 OpenAPI spec and the server's own authorization code
(`AuthorizationContext`): only `Authorization: MediaBrowser …` carries credentials, plus
the `ApiKey` query that the server reads unconditionally. `X-Emby-Authorization`,
`X-Emby-Token`, `X-MediaBrowser-Token`, `api_key` and the `Emby` scheme are read only
with `legacy_auth=True` (Jellyfin 10.x behaviour, `EnableLegacyAuthorization`). Routes
match case-insensitively, as ASP.NET's do, and the obsolete `/Users/{userId}/…` routes
that 12.0 still serves are there too.
"""

from __future__ import annotations

import argparse
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from reel.testing.fakes import FakeServer
from reel.testing.fakes.jellyfin_data import (
    FakeDevice,
    FakeLibraryData,
    FakeUser,
    stable_id,
)
from reel.testing.fakes.jellyfin_dto import (
    ItemQuery,
)
from reel.testing.fakes.jellyfin_faults import FaultMiddleware, Faults
from reel.testing.fakes.jellyfin_routes import TINY_PNG, routes


@dataclass
class FakeJellyfinConfig:
    """Sizes, accounts and server behaviour of one fake."""

    movies: int = 20
    shows: int = 3
    seasons: int = 2
    episodes: int = 4
    seed: int = 1
    username: str = "reel"
    password: str = "reel-secret"
    extra_users: dict[str, str] = field(default_factory=lambda: {"guest": "guest-pass"})
    legacy_auth: bool = False
    watched_ratio: float = 0.25
    server_name: str = "Fake Jellyfin"
    version: str = "12.0.0"
    stream_size: int = 256 * 1024


class FakeJellyfin:
    """The fake's state and its ASGI app; tests drive mutations and faults through it."""

    def __init__(self, config: FakeJellyfinConfig | None = None) -> None:
        self.config = config or FakeJellyfinConfig()
        cfg = self.config
        self.server_id = stable_id(cfg.seed, "server")
        self.data = FakeLibraryData(
            movies=cfg.movies,
            shows=cfg.shows,
            seasons=cfg.seasons,
            episodes=cfg.episodes,
            seed=cfg.seed,
            users={cfg.username: cfg.password, **cfg.extra_users},
            watched_ratio=cfg.watched_ratio,
        )
        self.faults = Faults()
        self.query = ItemQuery(self.data)
        self.playback_reports: list[tuple[str, dict[str, Any]]] = []
        #: The last requests as (method, path, headers), for tests that check what was sent.
        self.requests: deque[tuple[str, str, dict[str, str]]] = deque(maxlen=2000)
        self.in_flight = 0
        self.max_in_flight = 0
        self._inner = FaultMiddleware(Starlette(routes=routes(self)), self.faults, self._revoke)
        #: The ASGI app to serve (the fake itself: it records each request, then routes it).
        self.app: Any = self

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """The ASGI entry point: records the request and how many run at once, then serves it."""
        if scope["type"] != "http":
            await self._inner(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        headers[":query"] = scope.get("query_string", b"").decode("latin-1")
        self.requests.append((scope["method"], scope["path"].lower(), headers))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await self._inner(scope, receive, send)
        finally:
            self.in_flight -= 1

    def _revoke(self) -> None:
        self.data.revoke_tokens()

    # -- conveniences for tests -----------------------------------------------------------

    @property
    def owner(self) -> FakeUser:
        """The account named in the config."""
        return self.data.users[0]

    def ids(self, kind: str) -> list[str]:
        """Ids of every item of a kind, in creation order."""
        return [i.id for i in self.data.items.values() if i.type == kind]

    def count(self, kind: str) -> int:
        """How many items of a kind exist."""
        return sum(1 for i in self.data.items.values() if i.type == kind)

    # -- authorization, as AuthorizationContext does it ----------------------------------

    def authorization(self, request: Request) -> tuple[dict[str, str], str | None]:
        """The parsed MediaBrowser fields and the token, honouring `legacy_auth`."""
        legacy = self.config.legacy_auth
        header = request.headers.get("authorization", "")
        if legacy and not header:
            header = request.headers.get("x-emby-authorization", "")
        parts = _parse_scheme(header, legacy)
        token = parts.get("Token") or None
        if legacy and not token:
            token = request.headers.get("x-emby-token") or request.headers.get(
                "x-mediabrowser-token"
            )
        token = token or request.query_params.get("ApiKey")
        if legacy and not token:
            token = request.query_params.get("api_key")
        return parts, token or None

    def device(self, request: Request) -> FakeDevice | None:
        """The signed-in device for this request, None without a valid token."""
        _, token = self.authorization(request)
        return self.data.devices.get(token) if token else None

    def json(self, body: Any, status: int = 200) -> Response:
        """JSON as the server writes it (PascalCase keys, no nulls)."""
        return Response(orjson.dumps(body), status, media_type="application/json")


def _parse_scheme(header: str, legacy: bool) -> dict[str, str]:
    """`MediaBrowser k="v", …` → dict, split on commas outside quotes and URL-decoded as
    the server's `GetParts` does; other schemes give nothing (so no token)."""
    scheme, _, rest = header.partition(" ")
    if scheme.lower() != "mediabrowser" and not (legacy and scheme.lower() == "emby"):
        return {}
    parts: dict[str, str] = {}
    for match in re.finditer(r'\s*([^=,\s]+)\s*=\s*("([^"]*)"|[^,]*)\s*(?:,|$)', rest):
        key, raw, quoted = match.group(1), match.group(2), match.group(3)
        parts[key] = unquote(quoted if quoted is not None else raw.strip())
    return parts


# -- command line -----------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Size, account and fault options for `python -m reel.testing.fakes jellyfin`."""
    defaults = FakeJellyfinConfig()
    parser.add_argument("--movies", type=int, default=defaults.movies)
    parser.add_argument("--shows", type=int, default=defaults.shows)
    parser.add_argument("--seasons", type=int, default=defaults.seasons, help="per show")
    parser.add_argument("--episodes", type=int, default=defaults.episodes, help="per season")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--username", default=defaults.username)
    parser.add_argument("--password", default=defaults.password)
    parser.add_argument(
        "--legacy-auth", action="store_true", help="accept X-Emby-*/api_key like a 10.x server"
    )
    parser.add_argument("--fault", choices=Faults.MODES, default=None)
    parser.add_argument("--fault-count", type=int, default=None)


def create(args: argparse.Namespace, base_url: str = "") -> FakeServer:
    """The fake for the command line; prints url, username and password."""
    fake = FakeJellyfin(
        FakeJellyfinConfig(
            movies=args.movies,
            shows=args.shows,
            seasons=args.seasons,
            episodes=args.episodes,
            seed=args.seed,
            username=args.username,
            password=args.password,
            legacy_auth=args.legacy_auth,
        )
    )
    if args.fault:
        fake.faults.set(args.fault, count=args.fault_count)
    return FakeServer(fake.app, {"username": args.username, "password": args.password})


__all__ = ["TINY_PNG", "FakeJellyfin", "FakeJellyfinConfig", "add_arguments", "create"]
