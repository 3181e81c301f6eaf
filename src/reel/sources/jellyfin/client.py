"""All network I/O with one Jellyfin server.

Jellyfin 12 ships with legacy authorization off, so every request carries the one
accepted form, `Authorization: MediaBrowser Client=…, Device=…, DeviceId=…, Version=…,
Token=…`; never `X-Emby-*` headers or an `api_key` query. Errors come out as the neutral
source errors, with a message that tells the person what to do.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from reel.sources.errors import BadResponse, InvalidAuth
from reel.sources.http import RetryPolicy, make_client, request
from reel.sources.jellyfin.const import CLIENT_NAME, CLIENT_VERSION, DEFAULT_DEVICE_NAME
from reel.sources.jellyfin.parse import (
    AuthenticationResult,
    BaseItem,
    ItemsResult,
    PublicSystemInfo,
    UserDto,
    decode,
)

log = logging.getLogger(__name__)
T = TypeVar("T")


def authorization_header(
    device_id: str, token: str | None = None, device_name: str = DEFAULT_DEVICE_NAME
) -> str:
    """The MediaBrowser header; values are URL-encoded because the server URL-decodes them."""
    parts = {
        "Client": CLIENT_NAME,
        "Device": device_name,
        "DeviceId": device_id,
        "Version": CLIENT_VERSION,
    }
    if token:
        parts["Token"] = token
    return "MediaBrowser " + ", ".join(f'{k}="{quote(v, safe="")}"' for k, v in parts.items())


class JellyfinClient:
    """One server, one account: typed calls over the shared HTTP client and retry loop."""

    def __init__(
        self,
        url: str,
        *,
        device_id: str,
        source_name: str,
        token: str | None = None,
        device_name: str = DEFAULT_DEVICE_NAME,
        retry: RetryPolicy = RetryPolicy(),
        timeout: float = 30.0,
        max_connections: int = 8,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = url.rstrip("/")
        self.device_id = device_id
        self.device_name = device_name
        self.token = token
        self.source_name = source_name
        self.retry = retry
        self.server_date: datetime | None = None
        self._http = make_client(
            self.base_url,
            headers={"Accept": "application/json"},
            timeout=timeout,
            max_connections=max_connections,
            transport=transport,
        )

    @property
    def auth_header(self) -> str:
        """The header value for the current token (or none, before sign-in)."""
        return authorization_header(self.device_id, self.token, self.device_name)

    async def _call(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: dict[str, Any] | None = None,
        json: Any = None,
        denied: str | None = None,
    ) -> httpx.Response:
        try:
            response = await request(
                self._http,
                method,
                path,
                what=what,
                retry=self.retry,
                params=params,
                json=json,
                headers={"Authorization": self.auth_header},
            )
        except InvalidAuth:
            log.info("%s: %s was refused (%s)", self.source_name, what, method)
            raise InvalidAuth(
                denied or f"token expired or revoked for source {self.source_name} — sign in again"
            ) from None
        date = response.headers.get("Date")
        if date:
            with contextlib.suppress(TypeError, ValueError):
                self.server_date = parsedate_to_datetime(date)
        return response

    async def _get(self, path: str, kind: type[T], what: str, **params: Any) -> T:
        response = await self._call("GET", path, what=what, params=params or None)
        return decode(response.content, kind, what)

    async def public_info(self) -> PublicSystemInfo:
        """Who answers at this URL; needs no sign-in."""
        return await self._get("/System/Info/Public", PublicSystemInfo, "server info")

    async def authenticate(self, username: str, password: str) -> AuthenticationResult:
        """Exchange a password for an access token bound to our device id."""
        try:
            response = await self._call(
                "POST",
                "/Users/AuthenticateByName",
                what="sign-in",
                json={"Username": username, "Pw": password},
                denied=f"wrong username or password for source {self.source_name}",
            )
        except BadResponse as exc:
            raise BadResponse(
                f"source {self.source_name}: the server refused the sign-in request ({exc})"
            ) from None
        result = decode(response.content, AuthenticationResult, "sign-in")
        self.token = result.access_token
        return result

    async def current_user(self) -> UserDto:
        """The account the token belongs to (a cheap token check)."""
        return await self._get("/Users/Me", UserDto, "account info")

    async def user_views(self, user_id: str) -> list[BaseItem]:
        """The user's libraries."""
        result = await self._get("/UserViews", ItemsResult, "library list", userId=user_id)
        return result.items

    async def items(self, params: dict[str, Any], what: str) -> ItemsResult:
        """One page of `/Items`."""
        return await self._get("/Items", ItemsResult, what, **params)

    async def post(self, path: str, body: dict[str, Any], what: str) -> None:
        """A write whose answer carries nothing we need (playback reports)."""
        await self._call("POST", path, what=what, json=body)

    async def set_played(self, item_id: str, user_id: str, played: bool) -> None:
        """Mark an item played or unplayed for the user."""
        await self._call(
            "POST" if played else "DELETE",
            f"/UserPlayedItems/{quote(item_id, safe='')}",
            what="marking played" if played else "marking unplayed",
            params={"userId": user_id},
        )

    async def aclose(self) -> None:
        """Close pooled connections."""
        await self._http.aclose()
