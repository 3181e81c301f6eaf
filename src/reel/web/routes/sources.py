"""Sources: list (anyone signed in), add/edit/remove/test and Plex PIN sign-in (admins).

Secrets go in and never come out: answers carry the `source list` shape only. The Plex
PIN flow keeps the account token on the server — the browser only sees the code, the
approval link and the servers found — and creates the source from it.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from starlette.responses import Response

from reel.errors import Conflict, InvalidInput, NotFound
from reel.services.sources import SourceInfo
from reel.web.errors import json_response
from reel.web.params import ItemId
from reel.web.security import AdminUser, CurrentUser
from reel.web.services import AppServices, services
from reel.web.source_edit import SourceEdit, apply_edit, form_facts
from reel.web.threads import in_thread

router = APIRouter(prefix="/api", tags=["sources"])
Svc = Annotated[AppServices, Depends(services)]

PIN_TTL_S = 15 * 60


class SourceCreate(BaseModel):
    kind: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=200)
    settings: dict[str, Any] = Field(default_factory=dict)
    secrets: dict[str, str] = Field(default_factory=dict)


class SourceUpdate(BaseModel):
    """Only the keys sent change. `settings` are merged into the stored ones; `secrets`
    left out or empty keep their stored value. Changed settings or secrets sign in
    again before anything is stored."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    settings: dict[str, Any] | None = None
    secrets: dict[str, str] | None = None
    enabled: bool | None = None
    auto_sync: bool | None = None
    sync_interval_s: int | None = Field(default=None, ge=60, le=365 * 24 * 3600)


class PlexAdd(BaseModel):
    machine_identifier: str = Field(min_length=1, max_length=200)
    name: str | None = Field(default=None, min_length=1, max_length=200)


def source_json(info: SourceInfo, form: dict[str, Any] | None = None) -> dict[str, Any]:
    """SOURCE: the `source list` shape, with the edit form's non-secret `settings` and
    `secrets` as "set" / "not set" (never their values)."""
    form = form or {"settings": {}, "secrets": {}}
    return {"id": info.id, **info.to_json(), **form}


def _by_id(svc: AppServices, source_id: int) -> SourceInfo:
    for info in svc.sources.list_sources():
        if info.id == source_id:
            return info
    raise NotFound(f"no source with id {source_id}")


def _one(svc: AppServices, source_id: int) -> dict[str, Any]:
    return source_json(_by_id(svc, source_id), form_facts(svc.sources).get(source_id))


@router.get("/sources")
def list_sources(_caller: CurrentUser, svc: Svc) -> Response:
    forms = form_facts(svc.sources)
    return json_response([source_json(s, forms.get(s.id)) for s in svc.sources.list_sources()])


@router.get("/sources/{source_id}")
def get_source(source_id: ItemId, _caller: CurrentUser, svc: Svc) -> Response:
    return json_response(_one(svc, source_id))


@router.post("/sources", status_code=201)
async def add_source(body: SourceCreate, _admin: AdminUser, svc: Svc) -> Response:
    """Sign in to the source (its adapter's set-up) and store it; nothing is stored on failure."""
    info = await svc.sources.add(body.kind, body.name, dict(body.settings), dict(body.secrets))
    return json_response(await in_thread(_one, svc, info.id), 201)


@router.patch("/sources/{source_id}")
async def update_source(
    source_id: ItemId, body: SourceUpdate, _admin: AdminUser, svc: Svc
) -> Response:
    """Edit a source; new settings or secrets sign in again first (400/502/503 with the
    source's message, nothing stored). Renaming waits for its sync to end (409)."""
    info = await in_thread(_by_id, svc, source_id)
    name = info.name
    if body.name is not None or body.settings or body.secrets:
        if name in svc.syncs.running:
            raise Conflict(f"{name} is syncing; edit it once the sync has finished")
        edit = SourceEdit(name=body.name, settings=body.settings, secrets=body.secrets)
        name = await apply_edit(svc.sources, name, edit)
        svc.adapters.forget(info.name)
        svc.adapters.forget(name)
        svc.vod_info.clear()
    if body.enabled is not None or body.auto_sync is not None or body.sync_interval_s:
        schedule = functools.partial(
            svc.sources.set_schedule,
            name,
            auto_sync=body.auto_sync,
            interval_s=body.sync_interval_s,
            enabled=body.enabled,
        )
        await in_thread(schedule)
    return json_response(await in_thread(_one, svc, source_id))


@router.delete("/sources/{source_id}", status_code=204)
async def remove_source(source_id: ItemId, _admin: AdminUser, svc: Svc) -> Response:
    info = await in_thread(_by_id, svc, source_id)
    await svc.syncs.cancel([info.name])
    await in_thread(svc.sources.remove, info.name)
    return Response(status_code=204)


@router.post("/sources/{source_id}/test")
async def test_source(source_id: ItemId, _admin: AdminUser, svc: Svc) -> Response:
    info = await in_thread(_by_id, svc, source_id)
    result = await svc.sources.test(info.name)
    return json_response(
        {
            "reachable": result.reachable,
            "authenticated": result.authenticated,
            "message": result.message,
            "details": result.details,
            "latency_ms": result.latency_ms,
        }
    )


# -- Plex PIN sign-in ----------------------------------------------------------------------


@dataclass
class _Pin:
    id: int
    created: float
    token: str | None = None
    servers: list[Any] = field(default_factory=list)


_pins: dict[int, _Pin] = {}


def _live_pin(pin_id: int) -> _Pin:
    now = time.monotonic()
    for key in [k for k, p in _pins.items() if now - p.created > PIN_TTL_S]:
        del _pins[key]
    pin = _pins.get(pin_id)
    if pin is None:
        raise InvalidInput("this sign-in expired or is unknown; start the Plex sign-in again")
    return pin


def _server_json(server: Any) -> dict[str, Any]:
    return {
        "name": server.name,
        "machine_identifier": server.machine_identifier,
        "owned": server.owned,
        "owner": server.owner,
        "connections": [{"uri": c.uri, "kind": c.kind} for c in server.connections],
    }


@router.post("/plex/pin")
async def plex_pin_start(_admin: AdminUser, svc: Svc) -> Response:
    """Create a plex.tv PIN: show `code` and open `auth_url` for the person to approve."""
    from reel.sources.plex import signin

    client_id = await in_thread(svc.sources.install_id)
    pin = await signin.start_pin(client_id, plex_tv_url=svc.settings.plex_tv_url)
    _pins[pin.id] = _Pin(id=pin.id, created=time.monotonic())
    return json_response(
        {
            "pin_id": pin.id,
            "code": pin.code,
            "auth_url": pin.auth_url,
            "expires_in": pin.expires_in,
        }
    )


@router.get("/plex/pin/{pin_id}")
async def plex_pin_poll(pin_id: ItemId, _admin: AdminUser, svc: Svc) -> Response:
    """`waiting` until approved, then `approved` with the servers the account reaches."""
    from reel.sources.plex import signin

    pin = _live_pin(pin_id)
    client_id = await in_thread(svc.sources.install_id)
    if pin.token is None:
        token = await signin.check_pin(pin.id, client_id, plex_tv_url=svc.settings.plex_tv_url)
        if not token:
            return json_response({"status": "waiting", "servers": []})
        pin.token = token
        pin.servers = await signin.discover_servers(
            token, client_id, plex_tv_url=svc.settings.plex_tv_url
        )
    return json_response({"status": "approved", "servers": [_server_json(s) for s in pin.servers]})


@router.post("/plex/pin/{pin_id}/add", status_code=201)
async def plex_pin_add(pin_id: ItemId, body: PlexAdd, _admin: AdminUser, svc: Svc) -> Response:
    """Add one of the discovered servers as a source, on its best answering connection."""
    from reel.sources.plex import signin

    pin = _live_pin(pin_id)
    if pin.token is None:
        raise InvalidInput("the sign-in is not approved yet")
    server = next((s for s in pin.servers if s.machine_identifier == body.machine_identifier), None)
    if server is None:
        raise NotFound("that server is not among the ones this account reaches")
    client_id = await in_thread(svc.sources.install_id)
    chosen = await signin.choose_connection(server, client_id)
    info = await svc.sources.add(
        "plex",
        body.name or server.name or "Plex",
        server.source_settings(chosen),
        {"token": server.access_token},
    )
    return json_response(await in_thread(_one, svc, info.id), 201)
