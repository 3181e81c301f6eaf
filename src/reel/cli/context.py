"""What every command needs: settings, the database (opened lazily) and output helpers."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

import msgspec
import typer
from rich.console import Console

from reel.catalog.db import Database
from reel.config import Settings
from reel.pipes import write_all


@dataclass
class AppContext:
    """Per-invocation state kept on typer's context object."""

    settings: Settings
    console: Console = field(default_factory=Console)
    err: Console = field(default_factory=lambda: Console(stderr=True))
    _db: Database | None = None

    @property
    def db(self) -> Database:
        """The catalog, migrated on first use."""
        if self._db is None:
            self._db = Database(self.settings.resolved_database_url)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()
            self._db = None


def app_context(ctx: typer.Context) -> AppContext:
    """The AppContext the root callback stored on the typer context."""
    obj = ctx.find_root().obj
    assert isinstance(obj, AppContext)
    return obj


_encoder = msgspec.json.Encoder()


def emit_json(data: Any) -> None:
    """Write one JSON document to stdout: the `--json` contract."""
    sys.stdout.flush()  # anything printed before goes first
    write_all(sys.stdout.buffer, _encoder.encode(data) + b"\n")
