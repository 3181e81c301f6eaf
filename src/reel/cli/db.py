"""`reel db upgrade | status`: migrations by hand (they also apply on every start)."""

from __future__ import annotations

from typing import Annotated

import typer

from reel.catalog import migrate
from reel.catalog.db import Database
from reel.cli.context import app_context, emit_json


def register(app: typer.Typer) -> None:
    db_app = typer.Typer(help="Catalog database migrations.", no_args_is_help=True)
    app.add_typer(db_app, name="db")

    @db_app.command("upgrade")
    def upgrade(ctx: typer.Context) -> None:
        """Apply pending migrations."""
        actx = app_context(ctx)
        database = Database(actx.settings.resolved_database_url, migrate=False)
        try:
            before = migrate.status(database.engine)
            migrate.upgrade(database.engine)
            after = migrate.status(database.engine)
        finally:
            database.dispose()
        applied = len(before.pending)
        actx.err.print(f"database at revision {after.current} ({applied} migration(s) applied)")

    @db_app.command("status")
    def status(
        ctx: typer.Context,
        json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
    ) -> None:
        """Show the current revision and pending migrations."""
        actx = app_context(ctx)
        database = Database(actx.settings.resolved_database_url, migrate=False)
        try:
            st = migrate.status(database.engine)
        finally:
            database.dispose()
        if json:
            emit_json(
                {
                    "current": st.current,
                    "head": st.head,
                    "pending": st.pending,
                    "up_to_date": st.up_to_date,
                }
            )
            return
        state = (
            "up to date" if st.up_to_date else f"{len(st.pending)} pending: {', '.join(st.pending)}"
        )
        actx.console.print(f"revision {st.current or '(none)'} — head {st.head} — {state}")
