"""`reel set ITEM_ID FIELD VALUE` and `reel unlock ITEM_ID FIELD`: edits lock fields."""

from __future__ import annotations

from typing import Annotated

import msgspec
import typer

from reel.catalog.details import details
from reel.cli.context import app_context, emit_json
from reel.cli.options import JsonOption
from reel.metadata import edits
from reel.metadata.overlay import FIELDS

_FIELD_HELP = f"One of: {', '.join(FIELDS)}."


def register(app: typer.Typer) -> None:
    @app.command("set")
    def set_cmd(
        ctx: typer.Context,
        item_id: Annotated[int, typer.Argument(help="The item's id.")],
        field: Annotated[str, typer.Argument(help=_FIELD_HELP)],
        value: Annotated[str, typer.Argument(help="New value (genres: comma-separated).")],
        json: JsonOption = False,
    ) -> None:
        """Set a field by hand; it is locked against automation until unlocked."""
        actx = app_context(ctx)
        edits.set_field(actx.db, item_id, field, value)
        with actx.db.session() as session:
            item = details(session, item_id)
        if json:
            emit_json({**msgspec.to_builtins(item), "locked": edits.locks(actx.db, item_id)})
        else:
            print(f"item {item_id}: {field} set and locked")

    @app.command("unlock")
    def unlock_cmd(
        ctx: typer.Context,
        item_id: Annotated[int, typer.Argument(help="The item's id.")],
        field: Annotated[str, typer.Argument(help=_FIELD_HELP)],
        json: JsonOption = False,
    ) -> None:
        """Let automation write a field again."""
        actx = app_context(ctx)
        was_locked = edits.unlock(actx.db, item_id, field)
        if json:
            emit_json({"id": item_id, "field": field, "unlocked": was_locked})
        else:
            print(f"item {item_id}: {field} " + ("unlocked" if was_locked else "was not locked"))
