"""Filtered, sorted pages of the catalog with keyset pagination.

Every sort ends with the item id as a tie-break, so pages are stable and a deep page costs
the same as the first: the cursor carries the last row's sort value and id, and the
query seeks past it on an index of (type | library | category, sort value, id).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import msgspec
from sqlalchemy import ColumnElement, exists, func, literal_column, select, tuple_
from sqlalchemy.orm import Session

from reel.catalog import cursor
from reel.catalog.models import Item, ItemGenre, PlaybackState, Source
from reel.catalog.views import ItemView, to_view, view_select
from reel.errors import InvalidInput, NotFound

SortKey = Literal["title", "year", "added", "rating"]
SORTS: tuple[SortKey, ...] = ("title", "year", "added", "rating")
MAX_LIMIT = 500


@dataclass(frozen=True)
class BrowseQuery:
    """What a library page asks for. None means "no filter"."""

    types: Sequence[str] = ()
    source: str | None = None
    library_id: int | None = None
    category_id: int | None = None
    genre: str | None = None
    year_min: int | None = None
    year_max: int | None = None
    rating_min: float | None = None
    watched: bool | None = None
    parent_id: int | None = None
    sort: SortKey = "title"
    desc: bool = False
    limit: int = 50
    after: str | None = None

    def signature(self) -> str:
        """Identifies the sort a cursor belongs to."""
        return f"{self.sort}:{'d' if self.desc else 'a'}"


class Page(msgspec.Struct):
    items: list[ItemView]
    next: str | None


def _sort_column(sort: SortKey) -> Any:
    """The sort expression, written exactly as the expression indexes are (literals inline:
    a bound -1 would not match the index expression and the planner would scan)."""
    if sort == "title":
        return Item.sort_key
    if sort == "year":
        return func.coalesce(Item.year, literal_column("-1"))
    if sort == "added":
        return Item.added_at
    if sort == "rating":
        return func.coalesce(Item.rating, literal_column("-1.0"))
    raise InvalidInput(f"unknown sort {sort!r} (use one of: {', '.join(SORTS)})")


def _cursor_value(sort: SortKey, value: Any) -> Any:
    if sort == "added":
        return value.isoformat()
    return value


def _from_cursor(sort: SortKey, value: Any) -> Any:
    try:
        if sort == "added":
            return datetime.fromisoformat(value)
        if sort == "year":
            return int(value)
        if sort == "rating":
            return float(value)
        if isinstance(value, str):
            return value
    except (TypeError, ValueError):
        pass
    raise InvalidInput("invalid cursor: pass the `next` value of a previous page")


def filters(session: Session, q: BrowseQuery, user_id: int | None) -> list[ColumnElement[bool]]:
    """WHERE clauses for a query's filters (shared with search's type/source filters)."""
    conds: list[ColumnElement[bool]] = []
    if q.types:
        conds.append(Item.type.in_(list(q.types)) if len(q.types) > 1 else Item.type == q.types[0])
    if q.source is not None:
        source_id = session.scalar(select(Source.id).where(Source.name == q.source))
        if source_id is None:
            raise NotFound(f"no source named {q.source!r} (see `reel source list`)")
        conds.append(Item.source_id == source_id)
    if q.library_id is not None:
        conds.append(Item.library_id == q.library_id)
    if q.category_id is not None:
        conds.append(Item.category_id == q.category_id)
    if q.parent_id is not None:
        conds.append(Item.parent_id == q.parent_id)
    if q.genre:
        conds.append(
            exists().where(ItemGenre.item_id == Item.id, ItemGenre.genre == q.genre.strip())
        )
    if q.year_min is not None:
        conds.append(Item.year >= q.year_min)
    if q.year_max is not None:
        conds.append(Item.year <= q.year_max)
    if q.rating_min is not None:
        conds.append(Item.rating >= q.rating_min)
    if q.watched is not None:
        played = exists().where(
            PlaybackState.item_id == Item.id,
            PlaybackState.user_id == (user_id if user_id is not None else -1),
            PlaybackState.played.is_(True),
        )
        conds.append(played if q.watched else ~played)
    return conds


def browse(session: Session, q: BrowseQuery, user_id: int | None = None) -> Page:
    """One page of items matching `q`, and the cursor of the next page (None at the end)."""
    if not 1 <= q.limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}")
    if q.sort not in SORTS:
        raise InvalidInput(f"unknown sort {q.sort!r} (use one of: {', '.join(SORTS)})")
    col = _sort_column(q.sort)
    conds = filters(session, q, user_id)
    if q.after:
        raw_value, raw_id = cursor.decode(q.after, q.signature(), 2)
        if not isinstance(raw_id, int):
            raise InvalidInput("invalid cursor: pass the `next` value of a previous page")
        value = _from_cursor(q.sort, raw_value)
        key = tuple_(col, Item.id)
        # The plain bound is redundant with the row-value comparison, but it is what lets
        # SQLite seek the (…, sort value, id) index instead of scanning from the start.
        if q.desc:
            conds += [col <= value, key < tuple_(value, raw_id)]
        else:
            conds += [col >= value, key > tuple_(value, raw_id)]
    order = (col.desc(), Item.id.desc()) if q.desc else (col.asc(), Item.id.asc())
    # Page the ids on the narrow index first, then join the view columns for those rows.
    id_query = select(Item.id, col.label("sort_value")).where(*conds).order_by(*order)
    id_rows = session.execute(id_query.limit(q.limit + 1)).all()
    has_more = len(id_rows) > q.limit
    id_rows = id_rows[: q.limit]
    ids = [r.id for r in id_rows]
    rows = session.execute(view_select(user_id).where(Item.id.in_(ids))).all() if ids else []
    by_id = {row.id: to_view(row) for row in rows}
    items = [by_id[i] for i in ids if i in by_id]
    next_cursor = None
    if has_more and id_rows:
        last = id_rows[-1]
        next_cursor = cursor.encode(
            q.signature(), [_cursor_value(q.sort, last.sort_value), last.id]
        )
    return Page(items=items, next=next_cursor)
