"""What runs after a sync: identification for local sources, locks for every source.

The sync engine rewrites rows from the source's listing; a person's locked fields are
laid over them again here. Callers (`reel sync`, the server's sync manager, the folder
watcher) call `after_sync` once a sync of `name` succeeded.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from reel.catalog.db import Database, writing
from reel.catalog.models import Base
from reel.config import Settings
from reel.metadata import overlay
from reel.metadata.identify import Identifier, IdentifyReport

log = logging.getLogger(__name__)

ITEMS = Base.metadata.tables["items"]
SOURCES = Base.metadata.tables["sources"]
LOCKS = Base.metadata.tables["field_locks"]


def reapply_locks(db: Database, source_id: int) -> int:
    """Lay locked fields over the source's rows again; returns how many rows changed.

    Which items have locks is a plain read (most sources have none, and this runs after
    every sync); applying them reads the rows and then writes, so that part takes the
    write lock from BEGIN (see `writing`). A lock added in between is laid by its edit.
    """
    with db.engine.connect() as conn:
        ids = list(
            conn.execute(
                select(LOCKS.c.item_id)
                .join(ITEMS, ITEMS.c.id == LOCKS.c.item_id)
                .where(ITEMS.c.source_id == source_id)
                .distinct()
            ).scalars()
        )
    if not ids:
        return 0
    with writing(db.engine) as conn:
        return len(overlay.apply(conn, ids))


async def after_sync(
    db: Database, settings: Settings, name: str, identifier: Identifier | None = None
) -> IdentifyReport | None:
    """Post-sync work for source `name`; never raises for network trouble."""
    with db.engine.connect() as conn:
        row = conn.execute(
            select(SOURCES.c.id, SOURCES.c.name, SOURCES.c.kind, SOURCES.c.settings).where(
                SOURCES.c.name == name
            )
        ).first()
    if row is None:
        return None
    if row.kind != "local":
        reapply_locks(db, row.id)
        return None
    own = identifier is None
    identifier = identifier or Identifier(db, settings)
    try:
        return await identifier.run_source(row)
    finally:
        if own:
            await identifier.aclose()
