"""The caller's own watch state and the home screen's lists.

A change is committed first, then written back to the source in the background: the
answer never waits on a server that may be offline (the change stays queued then).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from reel.playback.lists import continue_watching, next_up, recently_added
from reel.web.errors import json_response
from reel.web.params import MAX_ID, ItemId, QueryId
from reel.web.security import CurrentUser
from reel.web.services import AppServices, services

router = APIRouter(prefix="/api", tags=["playback"])
Svc = Annotated[AppServices, Depends(services)]
ItemType = Literal["movie", "show", "season", "episode", "channel"]
Limit = Annotated[int, Query(ge=1, le=100)]


class Progress(BaseModel):
    position_ms: int = Field(ge=0, le=MAX_ID)
    duration_ms: int | None = Field(default=None, ge=0, le=MAX_ID)
    state: Literal["playing", "paused", "stopped"] = "playing"


class Watched(BaseModel):
    played: bool


@router.get("/items/{item_id}/state")
def get_state(item_id: ItemId, caller: CurrentUser, svc: Svc) -> Response:
    return json_response(svc.playback.get(caller.user.id, item_id))


@router.put("/items/{item_id}/progress")
async def set_progress(item_id: ItemId, body: Progress, caller: CurrentUser, svc: Svc) -> Response:
    """Save the position (the player calls this every 10 s and on pause/stop)."""
    state = await svc.writer.run(
        svc.playback.set_position, caller.user.id, item_id, body.position_ms, body.duration_ms
    )
    if state.pending_write_back:
        svc.writeback_runner.kick()
    return json_response(state)


@router.put("/items/{item_id}/watched")
async def set_watched(item_id: ItemId, body: Watched, caller: CurrentUser, svc: Svc) -> Response:
    """Mark watched or unwatched (a show or season: all of its episodes)."""
    state = await svc.writer.run(svc.playback.set_watched, caller.user.id, item_id, body.played)
    if state.pending_write_back:
        svc.writeback_runner.kick()
    return json_response(state)


@router.get("/continue")
def continue_list(caller: CurrentUser, svc: Svc, limit: Limit = 20) -> Response:
    with svc.db.session() as session:
        return json_response({"items": continue_watching(session, caller.user.id, limit)})


@router.get("/next-up")
def next_up_list(caller: CurrentUser, svc: Svc, limit: Limit = 20) -> Response:
    with svc.db.session() as session:
        return json_response({"items": next_up(session, caller.user.id, limit)})


@router.get("/recent")
def recent_list(
    caller: CurrentUser,
    svc: Svc,
    library: QueryId = None,
    types: Annotated[list[ItemType] | None, Query(alias="type", max_length=5)] = None,
    limit: Limit = 20,
) -> Response:
    with svc.db.session() as session:
        items = recently_added(
            session,
            caller.user.id,
            library_id=library,
            types=tuple(types or ("movie", "show")),
            limit=limit,
        )
    return json_response({"items": items})
