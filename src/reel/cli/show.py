"""`reel show ITEM_ID`: one item with its seasons and episodes.

Some sources list a show's episodes only when it is opened (Xtream series); the first
`show` of such a show fetches them once, and falls back to what is stored, with a note,
when the server cannot be reached.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import msgspec
import typer

from reel.catalog.details import details
from reel.catalog.users import resolve_user_id
from reel.catalog.views import ItemView
from reel.cli.context import AppContext, app_context, emit_json
from reel.cli.options import JsonOption
from reel.cli.render import item_tree
from reel.errors import ReelError
from reel.sources.errors import SourceError

CHILDREN_TIMEOUT_S = 30.0


def _fetch_children(actx: AppContext, item: ItemView) -> bool:
    """Fetch an on-demand show's children once; True when something was stored."""
    from reel.services.sources import SourceService
    from reel.sync.children import ChildrenSync
    from reel.sync.engine import SyncEngine

    sources = SourceService.open(actx.db, actx.settings)
    if not sources.adapter_class(item.source).capabilities.children_on_demand:
        return False
    engine = SyncEngine(sources, user=actx.settings.user)

    async def run() -> None:
        await asyncio.wait_for(
            ChildrenSync(engine).sync_children(item.source, item.id), CHILDREN_TIMEOUT_S
        )

    try:
        asyncio.run(run())
    except (SourceError, ReelError, TimeoutError) as exc:
        actx.err.print(f"[yellow]episodes not fetched from {item.source}: {exc}[/yellow]")
        return False
    return True


def register(app: typer.Typer) -> None:
    @app.command("show")
    def show_cmd(
        ctx: typer.Context,
        item_id: Annotated[int, typer.Argument(help="The item's id.")],
        json: JsonOption = False,
    ) -> None:
        """Show an item's details and children."""
        actx = app_context(ctx)
        user_id = resolve_user_id(actx.db, actx.settings.user)
        with actx.db.session() as session:
            item = details(session, item_id, user_id)
        if item.type == "show" and not item.children and _fetch_children(actx, item):
            with actx.db.session() as session:
                item = details(session, item_id, user_id)
        if json:
            emit_json(msgspec.to_builtins(item))
        else:
            item_tree(actx.console, item)
