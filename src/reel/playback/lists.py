"""The home screen's lists: continue watching, next up, recently added.

Each is a couple of indexed queries whatever the library size: candidates come from the
user's own `playback_state` rows (small) or the (type, added_at) index, then one joined
query loads the item views. Next up reads the episodes of at most `limit` shows at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased

from reel.catalog.browse import BrowseQuery, browse
from reel.catalog.models import Item, PlaybackState
from reel.catalog.views import ItemView, load_views

MAX_LIMIT = 100


def _limit(limit: int) -> int:
    return max(1, min(limit, MAX_LIMIT))


def continue_watching(session: Session, user_id: int, limit: int = 20) -> list[ItemView]:
    """Started but unfinished films and episodes, most recently played first.

    An item whose source gives no duration (Xtream films) takes the one the player
    reported, so a progress bar can still be drawn.
    """
    rows = session.execute(
        select(PlaybackState.item_id, PlaybackState.duration_ms)
        .join(Item, Item.id == PlaybackState.item_id)
        .where(
            PlaybackState.user_id == user_id,
            PlaybackState.position_ms > 0,
            PlaybackState.played.is_(False),
            Item.type.in_(("movie", "episode")),
        )
        .order_by(PlaybackState.last_played_at.desc().nulls_last(), PlaybackState.item_id.desc())
        .limit(_limit(limit))
    ).all()
    views = load_views(session, [r.item_id for r in rows], user_id)
    reported = {r.item_id: r.duration_ms for r in rows}
    for view in views:
        if view.duration_ms is None:
            view.duration_ms = reported.get(view.id)
    return views


def _show_of() -> tuple[Any, Any]:
    parent = aliased(Item)
    show_id = case((parent.type == "season", parent.parent_id), else_=parent.id)
    return parent, show_id


def next_up(session: Session, user_id: int, limit: int = 20) -> list[ItemView]:
    """For each show watched lately, the first unwatched episode after the last one played."""
    parent, show_id = _show_of()
    recent = session.execute(
        select(show_id.label("show_id"), func.max(PlaybackState.last_played_at).label("at"))
        .select_from(PlaybackState)
        .join(Item, Item.id == PlaybackState.item_id)
        .join(parent, parent.id == Item.parent_id)
        .where(
            PlaybackState.user_id == user_id,
            Item.type == "episode",
            PlaybackState.last_played_at.is_not(None),
        )
        .group_by(show_id)
        .order_by(func.max(PlaybackState.last_played_at).desc())
        .limit(_limit(limit))
    ).all()
    show_ids = [r.show_id for r in recent if r.show_id is not None]
    if not show_ids:
        return []
    season_no = case((parent.type == "season", parent.season), else_=None)
    episodes = session.execute(
        select(
            Item.id,
            show_id.label("show_id"),
            func.coalesce(Item.season, season_no, 0).label("s"),
            func.coalesce(Item.episode, 0).label("e"),
            PlaybackState.played,
            PlaybackState.last_played_at,
        )
        .join(parent, parent.id == Item.parent_id)
        .outerjoin(
            PlaybackState,
            (PlaybackState.item_id == Item.id) & (PlaybackState.user_id == user_id),
        )
        .where(Item.type == "episode", show_id.in_(show_ids))
    ).all()
    by_show: dict[int, list[Any]] = {}
    for row in episodes:
        by_show.setdefault(row.show_id, []).append(row)
    picks: list[int] = []
    for sid in show_ids:
        pick = _next_episode(by_show.get(sid, []))
        if pick is not None:
            picks.append(pick)
    return load_views(session, picks, user_id)


def _next_episode(rows: Sequence[Any]) -> int | None:
    ordered = sorted(rows, key=lambda r: (r.s, r.e, r.id))
    played_at = [(r.last_played_at, i) for i, r in enumerate(ordered) if r.last_played_at]
    if not played_at:
        return None
    _, last = max(played_at, key=lambda t: t[0])
    # Resume the last one played if unfinished (continue watching shows it), else the next.
    for row in ordered[last + 1 :]:
        if not row.played:
            return int(row.id)
    return None


def recently_added(
    session: Session,
    user_id: int,
    *,
    library_id: int | None = None,
    types: Sequence[str] = ("movie", "show"),
    limit: int = 20,
) -> list[ItemView]:
    """Newest films and shows (or `types`), on the (type, added_at) index."""
    query = BrowseQuery(
        types=tuple(types), library_id=library_id, sort="added", desc=True, limit=_limit(limit)
    )
    return browse(session, query, user_id).items
