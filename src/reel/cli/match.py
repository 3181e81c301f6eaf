"""`reel match ITEM_ID --tmdb ID` (manual match, locked) and `reel identify [SOURCE]`."""

from __future__ import annotations

import asyncio
from typing import Annotated

import msgspec
import typer

from reel.catalog.details import details
from reel.cli.context import app_context, emit_json
from reel.cli.options import JsonOption
from reel.metadata import edits
from reel.metadata.identify import Identifier, IdentifyReport


def _print_report(report: IdentifyReport) -> None:
    line = (
        f"{report.source}: {report.identified} identified, {report.unidentified} unmatched, "
        f"{report.enriched} enriched, {report.failed} failed"
    )
    if report.error:
        line += f" ({report.error})"
    print(line)


def register(app: typer.Typer) -> None:
    @app.command("match")
    def match_cmd(
        ctx: typer.Context,
        item_id: Annotated[int, typer.Argument(help="The film's or show's id.")],
        tmdb: Annotated[
            int | None, typer.Option("--tmdb", help="TMDB id to match (locks the match).")
        ] = None,
        json: JsonOption = False,
    ) -> None:
        """Match an item to TMDB by hand, or list the candidates identification found."""
        actx = app_context(ctx)
        if tmdb is None:
            state = edits.candidates(actx.db, item_id)
            if json:
                emit_json(state)
                return
            print(f"item {item_id}: {state['status']}")
            for c in state["candidates"]:
                print(f"  tmdb {c['tmdb']}: {c['title']} ({c['year']})  {c['confidence']:.2f}")
            return

        async def run() -> IdentifyReport:
            identifier = Identifier(actx.db, actx.settings)
            try:
                return await edits.match(identifier, item_id, tmdb)
            finally:
                await identifier.aclose()

        report = asyncio.run(run())
        with actx.db.session() as session:
            item = details(session, item_id)
        if json:
            emit_json({**msgspec.to_builtins(item), "children": None, "note": report.error})
        else:
            print(f"item {item_id} matched to TMDB {tmdb}: {item.title} ({item.year}) "
                  f"[{item.status}]")  # fmt: skip
            if report.error:
                print(f"note: {report.error}")

    @app.command("identify")
    def identify_cmd(
        ctx: typer.Context,
        source: Annotated[str | None, typer.Argument(help="A local source (default: all).")] = None,
        refresh: Annotated[
            bool, typer.Option("--refresh", help="Fetch details of enriched items again.")
        ] = False,
        json: JsonOption = False,
    ) -> None:
        """Identify local items on TMDB and fetch their details and artwork."""
        actx = app_context(ctx)

        async def run() -> list[IdentifyReport]:
            identifier = Identifier(actx.db, actx.settings)
            try:
                return await identifier.run(source, refresh=refresh)
            finally:
                await identifier.aclose()

        reports = asyncio.run(run())
        if json:
            emit_json({"sources": [r.to_json() for r in reports]})
        else:
            for report in reports:
                _print_report(report)
