"""`reel show ITEM_ID`: one item with its seasons and episodes."""

from __future__ import annotations

from typing import Annotated

import msgspec
import typer

from reel.catalog.details import details
from reel.catalog.users import resolve_user
from reel.cli.context import app_context, emit_json
from reel.cli.options import JsonOption
from reel.cli.render import item_tree


def register(app: typer.Typer) -> None:
    @app.command("show")
    def show_cmd(
        ctx: typer.Context,
        item_id: Annotated[int, typer.Argument(help="The item's id.")],
        json: JsonOption = False,
    ) -> None:
        """Show an item's details and children."""
        actx = app_context(ctx)
        with actx.db.session() as session:
            user = resolve_user(session, actx.settings.user)
            item = details(session, item_id, user.id)
        if json:
            emit_json(msgspec.to_builtins(item))
        else:
            item_tree(actx.console, item)
