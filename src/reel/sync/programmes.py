"""The guide of one source: replaced whole, and only by a guide that loaded completely.

Programmes have no identity worth diffing (the same show re-announced is a new row at the
source too), so a guide listing replaces the source's programmes. New programmes are
written as their pages arrive (a guide can hold millions, too many to buffer), next to the
old ones; at the end of the listing the old ones go if the adapter declared the guide
complete (`"programme"` in `complete_types`), and otherwise the new ones go and the old
ones stay — a guide that broke off halfway, or one of several that failed, must not
replace a whole one. Rows written by this sync are told apart by id: they are all above
the highest id the table held when the first page arrived (the sync holds the write lock
on SQLite; PostgreSQL's sequence only grows). A rollback undoes either way.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, func, select

from reel.catalog.models import Base
from reel.sources.records import ProgrammeRecord
from reel.sync.bulk import BulkWriter
from reel.sync.util import chunked

PROGRAMMES = Base.metadata.tables["programmes"]
COMPLETE = "programme"  # the ListingContext.complete_types entry for a whole guide


class ProgrammeWriter:
    """Programme pages of one sync, written in bulk, swapped in at the end."""

    def __init__(
        self,
        conn: Connection,
        bulk: BulkWriter,
        source_id: int,
        prune_before: datetime | None,
        chunk_size: int,
    ) -> None:
        self.conn = conn
        self.bulk = bulk
        self.source_id = source_id
        self.prune_before = prune_before
        self.chunk_size = chunk_size
        self.watermark: int | None = None  # highest id before this sync's first page
        self.written = 0

    def write(self, records: list[ProgrammeRecord]) -> None:
        if self.watermark is None:
            self.watermark = self.conn.execute(select(func.max(PROGRAMMES.c.id))).scalar() or 0
        cutoff = self.prune_before
        source_id = self.source_id
        rows = [
            {
                "source_id": source_id,
                "channel_key": p.channel_key,
                "start": p.start,
                "stop": p.stop,
                "title": p.title,
                "description": p.description,
            }
            for p in records
            if cutoff is None or p.stop >= cutoff
        ]
        for part in chunked(rows, self.chunk_size):
            self.bulk.insert(PROGRAMMES, part)
        self.written += len(rows)

    def finish(self, complete: bool) -> None:
        """Keep the new guide if it is whole, else the old one; then prune the past."""
        mine = PROGRAMMES.c.source_id == self.source_id
        if complete:
            if self.watermark is None:  # a whole guide with nothing for our channels
                self.conn.execute(delete(PROGRAMMES).where(mine))
            else:
                self.conn.execute(delete(PROGRAMMES).where(mine, PROGRAMMES.c.id <= self.watermark))
        elif self.watermark is not None:
            self.conn.execute(delete(PROGRAMMES).where(mine, PROGRAMMES.c.id > self.watermark))
        if self.prune_before is not None:
            self.conn.execute(delete(PROGRAMMES).where(mine, PROGRAMMES.c.stop < self.prune_before))
