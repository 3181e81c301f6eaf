"""Alembic driven from code: migrations apply on open, `reel db` shows and applies them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).with_name("migrations")


def _config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


@dataclass(frozen=True)
class MigrationStatus:
    current: str | None
    head: str
    pending: list[str]

    @property
    def up_to_date(self) -> bool:
        return not self.pending


def status(engine: Engine) -> MigrationStatus:
    """Which revision the database is at and which ones are still to apply."""
    script = ScriptDirectory.from_config(_config(engine))
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    head = script.get_current_head()
    assert head is not None
    pending = [
        rev.revision for rev in script.iterate_revisions(head, current) if rev.revision != current
    ]
    return MigrationStatus(current=current, head=head, pending=list(reversed(pending)))


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply pending migrations; a no-op when the database is current."""
    if status(engine).up_to_date and revision == "head":
        return
    command.upgrade(_config(engine), revision)
