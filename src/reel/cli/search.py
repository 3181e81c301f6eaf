"""`reel search QUERY`: search as you type, from the command line."""

from __future__ import annotations

from typing import Annotated

import msgspec
import typer

from reel.catalog.search import SearchQuery, search
from reel.catalog.users import resolve_user_id
from reel.cli.context import app_context, emit_json
from reel.cli.options import AfterOption, JsonOption, SourceOption, TypeOption, check_types
from reel.cli.render import items_table


def register(app: typer.Typer) -> None:
    @app.command("search")
    def search_cmd(
        ctx: typer.Context,
        query: Annotated[
            str, typer.Argument(help="Words or the start of words; typos are forgiven.")
        ],
        type_: TypeOption = None,
        source: SourceOption = None,
        limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=200)] = 20,
        after: AfterOption = None,
        json: JsonOption = False,
    ) -> None:
        """Search titles across every source."""
        actx = app_context(ctx)
        types = check_types(type_)
        user_id = resolve_user_id(actx.db, actx.settings.user)
        with actx.db.session() as session:
            page = search(session, SearchQuery(query, types, source, limit, after), user_id)
        if json:
            emit_json(msgspec.to_builtins(page))
        else:
            items_table(actx.console, page.items, page.next)
