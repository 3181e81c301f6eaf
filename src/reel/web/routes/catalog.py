"""Browsing the catalog: libraries, categories, genres, item pages, search, details.

Handlers are plain functions (run in the thread pool, as the database calls block) and
encode with msgspec straight from the catalog's ItemView structs.
"""

from __future__ import annotations

from typing import Annotated, Literal

import anyio.to_thread
from fastapi import APIRouter, Depends, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from reel.catalog.browse import BrowseQuery, Page, browse, filters
from reel.catalog.details import details
from reel.catalog.models import Category, Item, ItemGenre, Library, Source
from reel.catalog.search import SearchQuery, search
from reel.catalog.views import ItemView
from reel.errors import InvalidInput, ReelError
from reel.sources.base import SourceAdapter
from reel.web.errors import json_response
from reel.web.extras import Facts, details_json, load_facts, wants_vod_info
from reel.web.params import ItemId, QueryId
from reel.web.security import CurrentUser
from reel.web.services import AppServices, services

router = APIRouter(prefix="/api", tags=["catalog"])
Svc = Annotated[AppServices, Depends(services)]
ItemType = Literal["movie", "show", "season", "episode", "channel"]
Types = Annotated[list[ItemType] | None, Query(alias="type", max_length=5)]
TOTAL_CAP = 10_000


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
        page = browse(session, query, caller.user.id)
        if after is not None:
            return json_response(page)
        total, capped = _total(session, query, caller.user.id, page)
    return json_response(
        {"items": page.items, "next": page.next, "total": total, "total_capped": capped}
    )


def _total(session: Session, query: BrowseQuery, user_id: int, page: Page) -> tuple[int, bool]:
    """How many items match, counted on the first page only and at most up to TOTAL_CAP
    (one index-only count; a deep library answers "more than TOTAL_CAP")."""
    if page.next is None:
        return len(page.items), False
    matching = select(Item.id).where(*filters(session, query, user_id)).limit(TOTAL_CAP + 1)
    count = int(session.scalar(select(func.count()).select_from(matching.subquery())) or 0)
    return min(count, TOTAL_CAP), count > TOTAL_CAP


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


def _details(svc: AppServices, item_id: int, user_id: int) -> tuple[ItemView, Facts, bool]:
    with svc.db.session() as session:
        item = details(session, item_id, user_id)
        facts = load_facts(session, item, user_id)
    pending = (
        item.type == "show"
        and not item.children
        and _kind_class(svc, facts.source_kind).capabilities.children_on_demand
    )
    return item, facts, pending


def _kind_class(svc: AppServices, kind: str) -> type[SourceAdapter]:
    """The adapter class (for its capabilities); the base class for a kind this build
    lacks, so its items still show, with no on-demand extras."""
    try:
        return svc.sources.kind_class(kind)
    except ReelError:
        return SourceAdapter


async def _details_answer(svc: AppServices, item_id: int, user_id: int) -> Response:
    item, facts, pending = await anyio.to_thread.run_sync(_details, svc, item_id, user_id)
    if wants_vod_info(item, facts, _kind_class(svc, facts.source_kind)):
        adapter = await svc.adapters.get(item.source)
        vod = await svc.vod_info.get(adapter, item.id, facts.remote_id)
        if vod is not None:
            facts.cast = vod.cast
            if item.duration_ms is None and vod.duration_ms:
                item.duration_ms = vod.duration_ms
    return json_response(details_json(item, facts, children_pending=pending))


@router.get("/items/{item_id}")
async def item_details(item_id: ItemId, caller: CurrentUser, svc: Svc) -> Response:
    """The item with its children (a show's seasons, each with its episodes), its cast
    where known and the sources holding the same title. `children_pending` says a show's
    episodes have never been fetched: POST `/items/{id}/children` fetches them."""
    return await _details_answer(svc, item_id, caller.user.id)


@router.post("/items/{item_id}/children")
async def fetch_children(item_id: ItemId, caller: CurrentUser, svc: Svc) -> Response:
    """Fetch a show's seasons and episodes from its source now (Xtream series are listed
    on demand), then answer as `GET /items/{id}`. 503 when the source cannot be reached
    or is too slow, 502 when it answers badly."""
    item, facts, _pending = await anyio.to_thread.run_sync(_details, svc, item_id, caller.user.id)
    if item.type != "show":
        raise InvalidInput(f"a {item.type} has no episodes to fetch; open its show")
    if _kind_class(svc, facts.source_kind).capabilities.children_on_demand:
        await svc.children.fetch(item.source, item.id, item.title)
    return await _details_answer(svc, item_id, caller.user.id)
