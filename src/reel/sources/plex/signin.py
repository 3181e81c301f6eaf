"""plex.tv sign-in (PIN flow), server discovery, and the choice of a connection per server.

The CLI (`reel source login plex`) and the web API call these: `start_pin` gives the code and
the link to show, `poll_pin` (or `check_pin` once per browser poll) waits for the token,
`discover_servers` lists every server the account reaches (owned and shared), and
`choose_connection` probes each advertised address at once and prefers local, then remote,
then relay — relay bandwidth is limited, so it is the last resort.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode

import httpx

from reel.sources.errors import BadResponse, CannotConnect, InvalidAuth, SourceError
from reel.sources.http import NO_RETRY, RetryPolicy, make_client, request
from reel.sources.plex import parse, parse_xml
from reel.sources.plex.client import plex_headers
from reel.sources.plex.const import AUTH_APP_URL, PLEX_TV_URL, PROBE_TIMEOUT_S, PRODUCT

log = logging.getLogger(__name__)

ConnectionKind = Literal["local", "remote", "relay"]
_RANK: dict[str, int] = {"local": 0, "remote": 1, "relay": 2}


class PinExpired(InvalidAuth):
    """The PIN was not claimed in time (or plex.tv forgot it); start a new sign-in."""


@dataclass(frozen=True)
class PinLogin:
    """A created PIN: show `code` and send the person to `auth_url`."""

    id: int
    code: str
    auth_url: str
    expires_in: int | None = None


@dataclass(frozen=True)
class ConnectionInfo:
    uri: str
    kind: ConnectionKind

    @classmethod
    def from_connection(cls, conn: parse.Connection) -> ConnectionInfo:
        kind: ConnectionKind = "relay" if conn.relay else "local" if conn.local else "remote"
        return cls(uri=conn.uri.rstrip("/"), kind=kind)

    def as_setting(self) -> dict[str, Any]:
        return {"uri": self.uri, "local": self.kind == "local", "relay": self.kind == "relay"}

    @classmethod
    def from_setting(cls, data: dict[str, Any]) -> ConnectionInfo:
        kind: ConnectionKind = (
            "relay" if data.get("relay") else "local" if data.get("local") else "remote"
        )
        return cls(uri=str(data["uri"]).rstrip("/"), kind=kind)


@dataclass(frozen=True)
class ServerInfo:
    """One server the account can reach, with the token that server accepts."""

    name: str
    machine_identifier: str
    access_token: str
    owned: bool
    version: str = ""
    owner: str | None = None
    connections: tuple[ConnectionInfo, ...] = field(default_factory=tuple)

    def source_settings(self, chosen: ChosenConnection | None = None) -> dict[str, Any]:
        """The non-secret settings a Plex source stores (the token goes into secrets)."""
        url = chosen.uri if chosen else (self.connections[0].uri if self.connections else "")
        return {
            "url": url,
            "machine_identifier": self.machine_identifier,
            "connections": [c.as_setting() for c in self.connections],
        }


@dataclass(frozen=True)
class ChosenConnection:
    uri: str
    kind: ConnectionKind
    latency_ms: float


def auth_app_url(client_id: str, code: str) -> str:
    """The plex.tv page where the person approves this PIN."""
    query = urlencode({"clientID": client_id, "code": code, "context[device][product]": PRODUCT})
    return AUTH_APP_URL + query


def _client(client_id: str, token: str | None, timeout: float) -> httpx.AsyncClient:
    return make_client(headers=plex_headers(client_id, token), timeout=timeout)


async def start_pin(
    client_id: str, *, plex_tv_url: str = PLEX_TV_URL, retry: RetryPolicy = RetryPolicy()
) -> PinLogin:
    """Create a strong (long-lived) PIN on plex.tv."""
    async with _client(client_id, None, 15.0) as http:
        response = await request(
            http,
            "POST",
            plex_tv_url.rstrip("/") + "/api/v2/pins",
            what="creating a plex.tv PIN",
            retry=retry,
            params={"strong": "true"},
        )
    pin = parse.decode_json(response.content, parse.Pin, "creating a plex.tv PIN")
    return PinLogin(pin.id, pin.code, auth_app_url(client_id, pin.code), pin.expires_in)


async def check_pin(
    pin_id: int,
    client_id: str,
    *,
    plex_tv_url: str = PLEX_TV_URL,
    retry: RetryPolicy = RetryPolicy(),
) -> str | None:
    """One look at the PIN: the account token once approved, else None."""
    what = "checking the plex.tv PIN"
    async with _client(client_id, None, 15.0) as http:
        try:
            response = await request(
                http,
                "GET",
                f"{plex_tv_url.rstrip('/')}/api/v2/pins/{pin_id}",
                what=what,
                retry=retry,
            )
        except BadResponse as exc:
            if " 404 " in f" {exc} ":
                raise PinExpired("the sign-in PIN expired; start the sign-in again") from None
            raise
    return parse.decode_json(response.content, parse.Pin, what).auth_token or None


async def poll_pin(
    pin: PinLogin,
    client_id: str,
    *,
    plex_tv_url: str = PLEX_TV_URL,
    timeout: float = 300.0,
    interval: float = 1.0,
    retry: RetryPolicy = RetryPolicy(),
) -> str:
    """Poll until the person approves the PIN; PinExpired after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        token = await check_pin(pin.id, client_id, plex_tv_url=plex_tv_url, retry=retry)
        if token:
            return token
        if time.monotonic() + interval > deadline:
            raise PinExpired(f"sign-in was not completed within {timeout:.0f} s")
        await asyncio.sleep(interval)


async def account_name(
    token: str,
    client_id: str,
    *,
    plex_tv_url: str = PLEX_TV_URL,
    retry: RetryPolicy = RetryPolicy(),
) -> str:
    """The plex.tv username behind a token (checks the token is still valid)."""
    what = "the plex.tv account"
    async with _client(client_id, token, 15.0) as http:
        try:
            response = await request(
                http, "GET", plex_tv_url.rstrip("/") + "/api/v2/user", what=what, retry=retry
            )
        except InvalidAuth:
            raise InvalidAuth("the plex.tv token expired or was revoked; sign in again") from None
    user = parse.decode_json(response.content, dict[str, Any], what)
    return str(user.get("username") or user.get("title") or "")


async def discover_servers(
    token: str,
    client_id: str,
    *,
    plex_tv_url: str = PLEX_TV_URL,
    retry: RetryPolicy = RetryPolicy(),
) -> list[ServerInfo]:
    """Every Plex Media Server the account can reach, owned first, with its connections."""
    what = "the plex.tv server list"
    async with _client(client_id, token, 30.0) as http:
        try:
            response = await request(
                http,
                "GET",
                plex_tv_url.rstrip("/") + "/api/v2/resources",
                what=what,
                retry=retry,
                params={"includeHttps": 1, "includeRelay": 1},
            )
        except InvalidAuth:
            raise InvalidAuth("the plex.tv token expired or was revoked; sign in again") from None
    body = response.content
    if body.lstrip()[:1] == b"<":
        devices = parse_xml.resources(body, what)
    else:
        devices = parse.decode_json(body, list[parse.Device], what)
    servers = [
        ServerInfo(
            name=d.name,
            machine_identifier=d.client_identifier,
            access_token=d.access_token or token,
            owned=d.owned,
            version=d.product_version,
            owner=d.source_title,
            connections=tuple(ConnectionInfo.from_connection(c) for c in d.connections),
        )
        for d in devices
        if "server" in d.provides.split(",")
    ]
    servers.sort(key=lambda s: (not s.owned, s.name.lower()))
    log.info("plex.tv lists %d server(s)", len(servers))
    return servers


async def _probe(
    http: httpx.AsyncClient, conn: ConnectionInfo, machine_identifier: str | None
) -> ChosenConnection | None:
    started = time.perf_counter()
    uri = conn.uri.rstrip("/")
    try:
        response = await request(
            http, "GET", uri + "/identity", what=f"probing {conn.uri}", retry=NO_RETRY
        )
        identity = (
            parse_xml.server_root(response.content)
            if response.content.lstrip()[:1] == b"<"
            else parse.decode(response.content, parse.ServerRoot, "the server identity")
        )
    except SourceError as exc:
        log.debug("connection %s (%s) did not answer: %s", conn.uri, conn.kind, exc)
        return None
    if machine_identifier and identity.machine_identifier != machine_identifier:
        # A local address can belong to another server on this network: not ours.
        log.info("connection %s answers as a different server; skipped", conn.uri)
        return None
    return ChosenConnection(uri, conn.kind, (time.perf_counter() - started) * 1000)


async def probe_all(
    connections: Sequence[ConnectionInfo],
    token: str,
    client_id: str,
    *,
    machine_identifier: str | None = None,
    timeout: float = PROBE_TIMEOUT_S,
) -> list[ChosenConnection]:
    """Every connection that answers, best first (local, remote, relay; then latency)."""
    async with _client(client_id, token, timeout) as http:
        results = await asyncio.gather(
            *(_probe(http, conn, machine_identifier) for conn in connections)
        )
    good = [r for r in results if r is not None]
    good.sort(key=lambda r: (_RANK[r.kind], r.latency_ms))
    return good


async def choose_connection(
    server: ServerInfo, client_id: str, *, timeout: float = PROBE_TIMEOUT_S
) -> ChosenConnection:
    """The best answering connection of a server; CannotConnect when none answers."""
    good = await probe_all(
        server.connections,
        server.access_token,
        client_id,
        machine_identifier=server.machine_identifier or None,
        timeout=timeout,
    )
    if not good:
        raise CannotConnect(
            f"none of the {len(server.connections)} connection(s) of {server.name or 'the server'}"
            " answered"
        )
    chosen = good[0]
    log.info(
        "server %s: using %s connection (%.0f ms)", server.name, chosen.kind, chosen.latency_ms
    )
    return chosen
