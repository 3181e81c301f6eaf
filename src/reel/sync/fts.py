"""Bulk loading of SQLite's full-text index during large inserts.

The FTS5 index is kept by an AFTER INSERT trigger, which costs about twice as much per
row as indexing the same rows with one `INSERT … SELECT` per chunk. For a big insert the
writer therefore drops the trigger inside its own transaction, indexes each chunk itself,
and re-creates the trigger from its stored SQL before committing. DDL is transactional in
SQLite and the sync holds the write lock, so no other connection ever sees the catalog
without the trigger, and a rollback restores it. The statement is derived from the
trigger's own SQL, so it follows whatever the migrations define; if that SQL has a shape
this module does not understand, the trigger is simply left in place.
"""

from __future__ import annotations

import logging
import re

from sqlalchemy import Connection, text

log = logging.getLogger(__name__)

TRIGGER = "items_fts_ai"
_BODY = re.compile(
    r"BEGIN\s+INSERT\s+INTO\s+(\w+)\s*\(([^)]*)\)\s*VALUES\s*\(([^)]*)\)\s*;\s*END\s*$",
    re.IGNORECASE | re.DOTALL,
)
_NEW_COLUMN = re.compile(r"^new\.(\w+)$", re.IGNORECASE)


def bulk_statement(trigger_sql: str) -> str | None:
    """`INSERT … SELECT` equivalent of the trigger body for an id range, or None."""
    match = _BODY.search(trigger_sql.strip())
    if match is None:
        return None
    table, targets, values = match.groups()
    columns = []
    for value in values.split(","):
        column = _NEW_COLUMN.match(value.strip())
        if column is None:
            return None
        columns.append(column.group(1))
    return (
        f"INSERT INTO {table}({targets}) SELECT {', '.join(columns)} FROM items "
        "WHERE id BETWEEN :first AND :last"
    )


class FtsBulkLoader:
    """Switches one transaction between trigger-kept and chunk-kept FTS indexing."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.enabled = conn.dialect.name == "sqlite"
        self._trigger_sql: str | None = None
        self._statement: str | None = None

    @property
    def active(self) -> bool:
        return self._statement is not None

    def start(self) -> None:
        """Take over indexing (idempotent); a no-op off SQLite or for unknown triggers."""
        if not self.enabled or self.active:
            return
        self.enabled = False  # decide once per transaction
        sql = self.conn.execute(
            text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :n"),
            {"n": TRIGGER},
        ).scalar()
        statement = bulk_statement(sql) if sql else None
        if statement is None:
            log.debug("FTS trigger has an unexpected shape; bulk indexing disabled")
            return
        self.conn.execute(text(f"DROP TRIGGER {TRIGGER}"))
        self._trigger_sql, self._statement = sql, statement

    def index(self, first_id: int, last_id: int) -> None:
        """Index rows inserted with ids in [first_id, last_id]."""
        if self._statement is not None:
            self.conn.execute(text(self._statement), {"first": first_id, "last": last_id})

    def finish(self) -> None:
        """Put the trigger back (same transaction) so every other writer keeps the index."""
        if self._trigger_sql is not None:
            self.conn.execute(text(self._trigger_sql))
        self._trigger_sql = self._statement = None
