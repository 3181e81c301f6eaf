"""Start, follow and cancel syncs; their history with errors (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from reel.web.errors import json_response
from reel.web.security import AdminUser
from reel.web.services import AppServices, services
from reel.web.syncs import history

router = APIRouter(prefix="/api", tags=["sync"])
Svc = Annotated[AppServices, Depends(services)]


class SyncStart(BaseModel):
    sources: list[str] | None = Field(default=None, max_length=100)
    full: bool = False


class SyncCancel(BaseModel):
    sources: list[str] | None = Field(default=None, max_length=100)


@router.post("/sync", status_code=202)
async def start_sync(body: SyncStart, _admin: AdminUser, svc: Svc) -> Response:
    """Queue syncs (every enabled source when `sources` is null); follow them on /ws."""
    started = svc.syncs.start(body.sources, full=body.full)
    return json_response({"started": started}, 202)


@router.get("/sync")
def sync_progress(_admin: AdminUser, svc: Svc) -> Response:
    return json_response({"running": svc.syncs.progress()})


@router.post("/sync/cancel")
async def cancel_sync(body: SyncCancel, _admin: AdminUser, svc: Svc) -> Response:
    return json_response({"cancelled": await svc.syncs.cancel(body.sources)})


@router.get("/sync/history")
def sync_history(
    _admin: AdminUser,
    svc: Svc,
    source: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    return json_response({"runs": history(svc.db.engine, source, limit)})
