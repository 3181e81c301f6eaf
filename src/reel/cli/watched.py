"""`reel watched ITEM_ID [--unwatched]` and `reel progress ITEM_ID POSITION_MS`.

The change is stored for the CLI's user first, then written back to the item's source
when it takes watch state; an unreachable source keeps the change queued, and the
command says so instead of failing — the catalog is the truth while offline.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import msgspec
import typer

from reel.catalog.users import resolve_user_id
from reel.cli.context import AppContext, app_context, emit_json
from reel.cli.options import JsonOption
from reel.playback.state import PlaybackService, StateView
from reel.playback.writeback import WriteBack
from reel.services.sources import SourceService


def _write_back(actx: AppContext, state: StateView) -> StateView:
    if state.pending_write_back:
        sources = SourceService.open(actx.db, actx.settings)
        asyncio.run(WriteBack(sources).flush())
    return PlaybackService(actx.db).get(_user_id(actx), state.item_id)


def _user_id(actx: AppContext) -> int:
    return resolve_user_id(actx.db, actx.settings.user)


def _report(actx: AppContext, state: StateView, json: bool, what: str) -> None:
    if json:
        emit_json(msgspec.to_builtins(state))
        return
    actx.console.print(f"Item {state.item_id}: {what}.")
    if state.pending_write_back:
        actx.err.print("The source is unreachable; the change will be sent when it returns.")


def register(app: typer.Typer) -> None:
    @app.command("watched")
    def watched_cmd(
        ctx: typer.Context,
        item_id: Annotated[int, typer.Argument(help="The item's id.")],
        unwatched: Annotated[
            bool, typer.Option("--unwatched", help="Mark as not watched.")
        ] = False,
        json: JsonOption = False,
    ) -> None:
        """Mark an item (a show or season: all its episodes) watched or unwatched."""
        actx = app_context(ctx)
        playback = PlaybackService(actx.db, sync_user=actx.settings.user)
        state = playback.set_watched(_user_id(actx), item_id, not unwatched)
        state = _write_back(actx, state)
        _report(actx, state, json, "unwatched" if unwatched else "watched")

    @app.command("progress")
    def progress_cmd(
        ctx: typer.Context,
        item_id: Annotated[int, typer.Argument(help="The item's id.")],
        position_ms: Annotated[int, typer.Argument(min=0, help="Position in milliseconds.")],
        json: JsonOption = False,
    ) -> None:
        """Save a playback position (past 90 % of the duration counts as watched)."""
        actx = app_context(ctx)
        playback = PlaybackService(actx.db, sync_user=actx.settings.user)
        state = playback.set_position(_user_id(actx), item_id, position_ms)
        state = _write_back(actx, state)
        _report(actx, state, json, f"position {state.position_ms} ms")
