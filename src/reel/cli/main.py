"""Root of the `reel` command: global options, subcommand registration, error rendering.

Errors meant for people (`ReelError`, source errors, database errors) print as one line on
stderr with exit code 1; anything else too, but `--debug` shows the traceback.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Annotated

import typer
from typer.exceptions import TyperException

from reel import logs
from reel.catalog.db import DatabaseError
from reel.cli.context import AppContext
from reel.config import Settings
from reel.errors import ReelError
from reel.sources.errors import SourceError

app = typer.Typer(
    name="reel",
    help="Reel: one offline-first catalog for everything you watch.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# One module per subcommand; each exposes `register(app)`.
COMMANDS = (
    "db",
    "search",
    "items",
    "show",
    "source",
    "sync",
    "serve",
    "user",
    "watched",
    "guide",
    "match",
    "edit",
    "worker",
)

_debug = False


@app.callback()
def root(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", envvar="REEL_DATA_DIR", help="Where Reel keeps its data."),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url", envvar="REEL_DATABASE_URL", help="SQLAlchemy URL of the catalog."
        ),
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", envvar="REEL_USER", help="Whose watch state to use.")
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
) -> None:
    """Reel: one offline-first catalog for everything you watch."""
    global _debug
    _debug = debug
    logs.configure(debug)
    settings = Settings.from_env(
        data_dir=data_dir, database_url=database_url, user=user, debug=debug
    )
    context = AppContext(settings=settings)
    ctx.obj = context
    ctx.call_on_close(context.close)


for _name in COMMANDS:
    importlib.import_module(f"reel.cli.{_name}").register(app)


def main() -> None:
    """Console entry point."""
    try:
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except (ReelError, SourceError, DatabaseError) as exc:
        _fail(str(exc), exc)
    except typer.Abort:
        _fail("aborted", None, code=130)
    except KeyboardInterrupt:
        _fail("interrupted", None, code=130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except TyperException as exc:  # usage errors: typer's own message and exit code
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        sys.exit(int(getattr(exc, "exit_code", 2)))
    except Exception as exc:  # a bug: still one line unless --debug
        _fail(f"unexpected error: {type(exc).__name__}: {exc}", exc)


def _fail(message: str, exc: BaseException | None, code: int = 1) -> None:
    if _debug and exc is not None:
        import traceback

        traceback.print_exception(exc)
    message = " ".join(message.split()) or "failed"
    print(f"error: {message}", file=sys.stderr)
    sys.exit(code)
