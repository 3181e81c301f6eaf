"""`reel guide [CHANNEL_ID ...] [--at ISO_TIME] [--hours N]`: the TV guide window."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
import typer
from rich.table import Table

from reel.catalog.guide import ChannelQuery, guide
from reel.cli.context import app_context, emit_json
from reel.cli.options import JsonOption
from reel.errors import InvalidInput


def _parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"--at wants an ISO 8601 time such as 2024-05-01T20:00Z, not {value!r}"
        ) from None


def register(app: typer.Typer) -> None:
    @app.command("guide")
    def guide_cmd(
        ctx: typer.Context,
        channel_ids: Annotated[
            list[int] | None, typer.Argument(help="Channel item ids (default: all channels).")
        ] = None,
        at: Annotated[str | None, typer.Option("--at", help="Window start, ISO 8601.")] = None,
        hours: Annotated[
            float, typer.Option("--hours", min=0.1, max=48, help="Window length.")
        ] = 3,
        limit: Annotated[int, typer.Option("--limit", min=1, max=500, help="Channels.")] = 100,
        json: JsonOption = False,
    ) -> None:
        """Show what is on, per channel, from `--at` (default now) for `--hours`."""
        actx = app_context(ctx)
        query = ChannelQuery(ids=tuple(channel_ids or ()), limit=limit)
        with actx.db.session() as session:
            window = guide(session, query, _parse_time(at), hours)
        if json:
            emit_json(msgspec.to_builtins(window))
            return
        if not window.channels:
            actx.console.print("[dim]No channels. Add an IPTV source and sync it.[/dim]")
            return
        table = Table(show_edge=False, pad_edge=False)
        table.add_column("channel", style="cyan")
        table.add_column("time", no_wrap=True)
        table.add_column("programme")
        for channel in window.channels:
            label = f"{channel.id}  {channel.title}"
            if not channel.programmes:
                table.add_row(label, "", "[dim]no guide data[/dim]")
            for i, prog in enumerate(channel.programmes):
                span = f"{prog.start:%H:%M}–{prog.stop:%H:%M}"
                table.add_row(label if i == 0 else "", span, prog.title)
        actx.console.print(table)
