"""Browsing the catalog: libraries, categories, genres, item pages, search, details.

Handlers are plain functions (run in the thread pool, as the database calls block) and
encode with msgspec straight from the catalog's ItemView structs.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from sqlalchemy import func, select
from starlette.responses import Response

from reel.catalog.browse import BrowseQuery, browse
from reel.catalog.details import details
from reel.catalog.models import Category, Item, ItemGenre, Library, Source
from reel.catalog.search import SearchQuery, search
from reel.web.errors import json_response
from reel.web.params import ItemId, QueryId
from reel.web.security import CurrentUser
from reel.web.services import AppServices, services

router = APIRouter(prefix="/api", tags=["catalog"])
Svc = Annotated[AppServices, Depends(services)]
ItemType = Literal["movie", "show", "season", "episode", "channel"]
Types = Annotated[list[ItemType] | None, Query(alias="type", max_length=5)]


@router.get("/libraries")
def libraries(_caller: CurrentUser, svc: Svc) -> Response:
    """Every library with its top-level item count (films, shows or channels)."""
    with svc.db.session() as session:
        counts = dict(
            session.execute(
                select(Item.library_id, func.count())
                .where(Item.type.in_(("movie", "show", "channel")))
                .group_by(Item.library_id)
            ).all()
        )
        rows = session.execute(
            select(Library.id, Library.title, Library.kind, Source.name)
            .join(Source, Source.id == Library.source_id)
            .order_by(Source.name, Library.title)
        ).all()
    return json_response(
        [
            {
                "id": r.id,
                "source": r.name,
                "title": r.title,
                "kind": r.kind,
                "count": counts.get(r.id, 0),
            }
            for r in rows
        ]
    )


@router.get("/categories")
def categories(
    _caller: CurrentUser,
    svc: Svc,
    source: Annotated[str | None, Query(max_length=200)] = None,
    kind: Literal["live", "vod", "series"] | None = None,
) -> Response:
    with svc.db.session() as session:
        stmt = (
            select(Category.id, Category.kind, Category.name, Source.name.label("source"))
            .join(Source, Source.id == Category.source_id)
            .order_by(Source.name, Category.kind, Category.name)
        )
        if source is not None:
            stmt = stmt.where(Source.name == source)
        if kind is not None:
            stmt = stmt.where(Category.kind == kind)
        rows = session.execute(stmt).all()
        counts = dict(
            session.execute(
                select(Item.category_id, func.count())
                .where(Item.category_id.is_not(None))
                .group_by(Item.category_id)
            ).all()
        )
    return json_response(
        [
            {
                "id": r.id,
                "source": r.source,
                "kind": r.kind,
                "name": r.name,
                "count": counts.get(r.id, 0),
            }
            for r in rows
        ]
    )


@router.get("/genres")
def genres(_caller: CurrentUser, svc: Svc, types: Types = None) -> Response:
    with svc.db.session() as session:
        stmt = select(ItemGenre.genre).distinct().order_by(ItemGenre.genre)
        if types:
            stmt = stmt.join(Item, Item.id == ItemGenre.item_id).where(Item.type.in_(types))
        return json_response(list(session.scalars(stmt).all()))


@router.get("/items")
def items(
    caller: CurrentUser,
    svc: Svc,
    types: Types = None,
    source: Annotated[str | None, Query(max_length=200)] = None,
    library: QueryId = None,
    category: QueryId = None,
    genre: Annotated[str | None, Query(max_length=100)] = None,
    year_min: Annotated[int | None, Query(ge=0, le=9999)] = None,
    year_max: Annotated[int | None, Query(ge=0, le=9999)] = None,
    rating_min: Annotated[float | None, Query(ge=0, le=100)] = None,
    watched: bool | None = None,
    parent: QueryId = None,
    sort: Literal["title", "year", "added", "rating"] = "title",
    desc: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    after: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    """A page of items with the catalog's filters and sorts; pass `next` back as `after`."""
    query = BrowseQuery(
        types=tuple(types or ()),
        source=source,
        library_id=library,
        category_id=category,
        genre=genre,
        year_min=year_min,
        year_max=year_max,
        rating_min=rating_min,
        watched=watched,
        parent_id=parent,
        sort=sort,
        desc=desc,
        limit=limit,
        after=after,
    )
    with svc.db.session() as session:
        return json_response(browse(session, query, caller.user.id))


@router.get("/search")
def search_items(
    caller: CurrentUser,
    svc: Svc,
    q: Annotated[str, Query(max_length=500)] = "",
    types: Types = None,
    source: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    after: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    """Best matches first, across every source; typos are forgiven."""
    query = SearchQuery(text=q, types=tuple(types or ()), source=source, limit=limit, after=after)
    with svc.db.session() as session:
        return json_response(search(session, query, caller.user.id))


@router.get("/items/{item_id}")
def item_details(item_id: ItemId, caller: CurrentUser, svc: Svc) -> Response:
    """The item with its children (a show's seasons, each with its episodes)."""
    with svc.db.session() as session:
        return json_response(details(session, item_id, caller.user.id))
