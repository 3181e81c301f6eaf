"""`reel source login plex`: PIN sign-in on plex.tv, then one source per reachable server.

The PIN is created with the install's client id, so the account token plex.tv hands back
(and each server's access token) is bound to this install like every later Plex call.
Servers are probed at once; one that no connection of answers is reported, not stored —
storing it would only give a source that can never sync. Signing in again re-keys the
sources that already exist for a server (matched by machine identifier, not name), which
is how a source marked "needs sign-in" recovers without losing its catalog.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update

from reel.services.sources import SOURCES, SourceInfo, SourceService
from reel.sources.errors import CannotConnect
from reel.sources.plex.signin import (
    ChosenConnection,
    PinLogin,
    ServerInfo,
    choose_connection,
    discover_servers,
    poll_pin,
    start_pin,
)

log = logging.getLogger(__name__)


@dataclass
class LoggedInServer:
    """A server the sign-in stored: the source, what was done and the connection chosen."""

    source: SourceInfo
    action: str  # added | updated
    server: ServerInfo
    chosen: ChosenConnection

    def to_json(self) -> dict[str, Any]:
        return {
            **self.source.to_json(),
            "action": self.action,
            "server": self.server.name,
            "machine_identifier": self.server.machine_identifier,
            "owned": self.server.owned,
            "owner": self.server.owner,
            "connection": self.chosen.uri,
            "connection_kind": self.chosen.kind,
            "latency_ms": round(self.chosen.latency_ms, 1),
        }


@dataclass
class PlexLoginResult:
    servers: list[LoggedInServer] = field(default_factory=list)
    unreachable: list[tuple[str, str]] = field(default_factory=list)  # (server, why)


class PlexLogin:
    """The sign-in flow over a source service; `plex_tv_url` comes from Settings."""

    def __init__(
        self,
        sources: SourceService,
        plex_tv_url: str,
        *,
        probe_timeout: float = 3.0,
    ) -> None:
        self.sources = sources
        self.plex_tv_url = plex_tv_url
        self.probe_timeout = probe_timeout

    @property
    def client_id(self) -> str:
        return self.sources.install_id()

    async def start(self) -> PinLogin:
        """Create the PIN whose code and link the person is shown."""
        return await start_pin(self.client_id, plex_tv_url=self.plex_tv_url)

    async def wait(self, pin: PinLogin, *, timeout: float, interval: float = 1.0) -> str:
        """The account token once the PIN is approved; PinExpired after `timeout`."""
        return await poll_pin(
            pin, self.client_id, plex_tv_url=self.plex_tv_url, timeout=timeout, interval=interval
        )

    async def add_servers(self, account_token: str) -> PlexLoginResult:
        """Discover the account's servers and store one source per server that answers."""
        servers = await discover_servers(
            account_token, self.client_id, plex_tv_url=self.plex_tv_url
        )
        chosen = await asyncio.gather(*(self._choose(s) for s in servers))
        result = PlexLoginResult()
        for server, choice in zip(servers, chosen, strict=True):
            if isinstance(choice, str):
                result.unreachable.append((server.name, choice))
                continue
            result.servers.append(await self._store(server, choice))
        return result

    async def _choose(self, server: ServerInfo) -> ChosenConnection | str:
        try:
            return await choose_connection(server, self.client_id, timeout=self.probe_timeout)
        except CannotConnect as exc:
            log.info("plex server %s skipped: %s", server.name, exc)
            return str(exc)

    async def _store(self, server: ServerInfo, chosen: ChosenConnection) -> LoggedInServer:
        settings = server.source_settings(chosen)
        settings["client_id"] = self.client_id
        secrets = {"token": server.access_token}
        existing = self._existing(server.machine_identifier)
        if existing is not None:
            self._rekey(existing, settings, secrets)
            info = self.sources.get(existing)
            log.info("plex source %s signed in again", existing)
            return LoggedInServer(info, "updated", server, chosen)
        info = await self.sources.add("plex", self._free_name(server), settings, secrets)
        return LoggedInServer(info, "added", server, chosen)

    def _existing(self, machine_identifier: str) -> str | None:
        with self.sources.db.engine.connect() as conn:
            rows = conn.execute(
                select(SOURCES.c.name, SOURCES.c.settings).where(SOURCES.c.kind == "plex")
            ).all()
        for name, settings in rows:
            if (settings or {}).get("machine_identifier") == machine_identifier:
                return str(name)
        return None

    def _free_name(self, server: ServerInfo) -> str:
        base = server.name.strip() or f"Plex {server.machine_identifier[:8]}"
        if not server.owned and server.owner:
            base = f"{base} ({server.owner})"
        with self.sources.db.engine.connect() as conn:
            taken = set(conn.execute(select(SOURCES.c.name)).scalars())
        name, n = base, 2
        while name in taken:
            name, n = f"{base} {n}", n + 1
        return name

    def _rekey(self, name: str, settings: dict[str, Any], secrets: dict[str, str]) -> None:
        """New token and connections; a source that needed sign-in is usable again."""
        row = self.sources.row(name)
        merged = {**row.settings, **settings}
        values: dict[str, Any] = {
            "settings": merged,
            "secret": self.sources.box.encrypt({**self.sources.box.decrypt(row.secret), **secrets}),
        }
        if row.status in ("needs_sign_in", "offline"):
            values["status"] = "ok" if self.sources.get(name).last_sync else "new"
            values["last_error"] = None
        with self.sources.db.engine.begin() as conn:
            conn.execute(update(SOURCES).where(SOURCES.c.id == row.id).values(**values))
