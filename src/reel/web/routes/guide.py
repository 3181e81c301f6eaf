"""Live TV: what is on now and next per channel, and a guide window."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from reel.catalog.guide import MAX_CHANNELS, ChannelQuery, guide, now_next
from reel.web.errors import json_response
from reel.web.live import live_now, with_cards
from reel.web.params import MAX_ID, QueryId
from reel.web.security import CurrentUser
from reel.web.services import AppServices, services

router = APIRouter(prefix="/api", tags=["guide"])
Svc = Annotated[AppServices, Depends(services)]
Channels = Annotated[
    list[Annotated[int, Query(ge=0, le=MAX_ID)]] | None,
    Query(alias="channel", max_length=MAX_CHANNELS),
]
Limit = Annotated[int, Query(ge=1, le=MAX_CHANNELS)]


def _query(
    channels: list[int] | None, category: int | None, source: str | None, limit: int
) -> ChannelQuery:
    return ChannelQuery(ids=tuple(channels or ()), category_id=category, source=source, limit=limit)


@router.get("/epg/now")
def epg_now(
    _caller: CurrentUser,
    svc: Svc,
    channels: Channels = None,
    category: QueryId = None,
    source: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = 200,
) -> Response:
    """Now/next per channel. With no channel, category or source: up to `limit` channels
    that have a programme on now (Home's "Live now"), in channel-number order."""
    with svc.db.session() as session:
        if channels or category is not None or source is not None:
            found = now_next(session, _query(channels, category, source, limit)).channels
        else:
            found = live_now(session, limit)
        return json_response({"channels": with_cards(session, found)})


@router.get("/guide")
def epg_guide(
    _caller: CurrentUser,
    svc: Svc,
    channels: Channels = None,
    category: QueryId = None,
    source: Annotated[str | None, Query(max_length=200)] = None,
    at: datetime | None = None,
    hours: Annotated[float, Query(gt=0, le=48)] = 3,
    limit: Limit = 100,
) -> Response:
    with svc.db.session() as session:
        return json_response(guide(session, _query(channels, category, source, limit), at, hours))
