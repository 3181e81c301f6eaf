"""The item shape that the CLI's `--json` and the web API both return.

One builder turns joined rows into `ItemView`s, so every surface shows the same keys:
those the command-line contract requires plus the details a client needs to draw a card.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session

from reel.catalog.models import Category, Item, PlaybackState, Source


class ItemView(msgspec.Struct):
    id: int
    type: str
    title: str
    year: int | None
    source: str
    parent_id: int | None
    season: int | None
    episode: int | None
    ids: dict[str, str]
    original_title: str | None = None
    overview: str | None = None
    rating: float | None = None
    duration_ms: int | None = None
    genres: list[str] = msgspec.field(default_factory=list)
    artwork: dict[str, Any] = msgspec.field(default_factory=dict)
    added_at: datetime | None = None
    category: str | None = None
    epg_id: str | None = None
    channel_number: int | None = None
    status: str | None = None
    path: str | None = None
    played: bool = False
    position_ms: int = 0
    play_count: int = 0
    children: list[ItemView] | None = None


VIEW_COLUMNS = (
    Item.id,
    Item.type,
    Item.title,
    Item.year,
    Item.parent_id,
    Item.season,
    Item.episode,
    Item.tmdb_id,
    Item.imdb_id,
    Item.tvdb_id,
    Item.original_title,
    Item.overview,
    Item.rating,
    Item.duration_ms,
    Item.genres,
    Item.artwork,
    Item.added_at,
    Item.epg_id,
    Item.channel_number,
    Item.extra,
    Source.name.label("source_name"),
    Category.name.label("category_name"),
    PlaybackState.played,
    PlaybackState.position_ms,
    PlaybackState.play_count,
)


def view_select(user_id: int | None) -> Select[Any]:
    """SELECT of everything an ItemView needs, joined once (no per-item queries)."""
    state_join = and_(
        PlaybackState.item_id == Item.id,
        PlaybackState.user_id == (user_id if user_id is not None else -1),
    )
    return (
        select(*VIEW_COLUMNS)
        .join(Source, Source.id == Item.source_id)
        .outerjoin(Category, Category.id == Item.category_id)
        .outerjoin(PlaybackState, state_join)
    )


def to_view(row: Any) -> ItemView:
    """One joined row → ItemView."""
    ids = {
        k: v for k, v in (("tmdb", row.tmdb_id), ("imdb", row.imdb_id), ("tvdb", row.tvdb_id)) if v
    }
    extra = row.extra or {}
    return ItemView(
        id=row.id,
        type=row.type,
        title=row.title,
        year=row.year,
        source=row.source_name,
        parent_id=row.parent_id,
        season=row.season,
        episode=row.episode,
        ids=ids,
        original_title=row.original_title,
        overview=row.overview,
        rating=row.rating,
        duration_ms=row.duration_ms,
        genres=list(row.genres or []),
        artwork=dict(row.artwork or {}),
        added_at=row.added_at,
        category=row.category_name,
        epg_id=row.epg_id,
        channel_number=row.channel_number,
        status=extra.get("status"),
        path=extra.get("path"),
        played=bool(row.played),
        position_ms=int(row.position_ms or 0),
        play_count=int(row.play_count or 0),
    )


def load_views(session: Session, ids: Sequence[int], user_id: int | None) -> list[ItemView]:
    """Views for `ids`, in the order given (missing ids are skipped)."""
    if not ids:
        return []
    rows = session.execute(view_select(user_id).where(Item.id.in_(list(ids)))).all()
    by_id = {row.id: to_view(row) for row in rows}
    return [by_id[i] for i in ids if i in by_id]
