"""`reel items`: browse with filters, sorts and keyset pages."""

from __future__ import annotations

from typing import Annotated

import msgspec
import typer

from reel.catalog.browse import BrowseQuery, SortKey, browse
from reel.catalog.users import resolve_user_id
from reel.cli.context import app_context, emit_json
from reel.cli.options import (
    AfterOption,
    JsonOption,
    LimitOption,
    SourceOption,
    TypeOption,
    check_types,
)
from reel.cli.render import items_table


def register(app: typer.Typer) -> None:
    @app.command("items")
    def items_cmd(
        ctx: typer.Context,
        type_: TypeOption = None,
        source: SourceOption = None,
        library: Annotated[int | None, typer.Option("--library", help="Library id.")] = None,
        category: Annotated[int | None, typer.Option("--category", help="Category id.")] = None,
        genre: Annotated[str | None, typer.Option("--genre", help="Genre name.")] = None,
        year_min: Annotated[int | None, typer.Option("--year-min")] = None,
        year_max: Annotated[int | None, typer.Option("--year-max")] = None,
        rating_min: Annotated[float | None, typer.Option("--rating-min")] = None,
        watched: Annotated[
            bool | None, typer.Option("--watched/--unwatched", help="Only (un)watched items.")
        ] = None,
        parent: Annotated[
            int | None, typer.Option("--parent", help="Children of this item.")
        ] = None,
        sort: Annotated[
            str, typer.Option("--sort", help="title, year, added or rating.")
        ] = "title",
        desc: Annotated[bool, typer.Option("--desc", help="Descending order.")] = False,
        limit: LimitOption = 50,
        after: AfterOption = None,
        json: JsonOption = False,
    ) -> None:
        """List catalog items, a page at a time."""
        actx = app_context(ctx)
        if sort not in ("title", "year", "added", "rating"):
            raise typer.BadParameter("use title, year, added or rating", param_hint="--sort")
        sort_key: SortKey = sort  # type: ignore[assignment]
        query = BrowseQuery(
            types=check_types(type_),
            source=source,
            library_id=library,
            category_id=category,
            genre=genre,
            year_min=year_min,
            year_max=year_max,
            rating_min=rating_min,
            watched=watched,
            parent_id=parent,
            sort=sort_key,
            desc=desc,
            limit=limit,
            after=after,
        )
        user_id = resolve_user_id(actx.db, actx.settings.user)
        with actx.db.session() as session:
            page = browse(session, query, user_id)
        if json:
            emit_json(msgspec.to_builtins(page))
        else:
            items_table(actx.console, page.items, page.next)
