"""Deferred secondary indexes for the first, big load of a source into a small catalog.

Maintaining the ten secondary indexes of `items` row by row costs more than the insert
itself; building each once over the finished table is cheaper and writes far fewer
pages. So when a source with no rows yet starts a large insert and the whole table is
small (rebuilding must not cost more than it saves), the writer drops those indexes inside
its own transaction and re-creates them from their stored SQL before it commits. DDL is
transactional in SQLite and the sync holds the write lock: other connections keep seeing
the committed catalog with its indexes, and a rollback restores them. Unique indexes
stay, as do indexes of other tables. PostgreSQL is left alone: there, dropping an index
would lock the table against readers for the whole sync.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, text

log = logging.getLogger(__name__)

TABLE = "items"
MAX_EXISTING_ROWS = 20_000  # rebuilding over more rows than this would cost the saving


class IndexDeferral:
    """Drops and re-creates the non-unique indexes of `items` within one transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.sqlite = conn.dialect.name == "sqlite"
        self.enabled = False  # until the writer knows the source holds nothing yet
        self._dropped: list[tuple[str, str]] = []

    def allow(self) -> None:
        """The source has no rows: a big insert may defer the indexes."""
        self.enabled = self.sqlite

    @property
    def active(self) -> bool:
        return bool(self._dropped)

    def start(self) -> None:
        """Drop the indexes if the table is small enough; decided once per transaction."""
        if not self.enabled:
            return
        self.enabled = False
        rows = self.conn.execute(text(f"SELECT count(*) FROM {TABLE}")).scalar() or 0
        if rows > MAX_EXISTING_ROWS:
            return
        found = self.conn.execute(
            text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                "AND tbl_name = :t AND sql IS NOT NULL"
            ),
            {"t": TABLE},
        ).all()
        for name, sql in found:
            if "UNIQUE" in sql.upper().split("INDEX", 1)[0]:
                continue
            self.conn.execute(text(f'DROP INDEX "{name}"'))
            self._dropped.append((name, sql))
        log.debug("deferred %d indexes of %s", len(self._dropped), TABLE)

    def finish(self) -> None:
        """Re-create what was dropped (same transaction)."""
        for _, sql in self._dropped:
            self.conn.execute(text(sql))
        self._dropped = []
