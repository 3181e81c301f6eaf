"""Mark-and-sweep of items: what a completed listing did not name is deleted.

Only item types the adapter declared complete are swept, and only after the listing
ended, so a listing that failed halfway never deletes anything. The children of a doomed
item go with it (children first), whatever their own type.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection, delete, select

from reel.catalog.models import Base
from reel.sync.util import IN_LIST, Key, chunked

ITEMS = Base.metadata.tables["items"]


def sweep_items(
    conn: Connection,
    existing: Mapping[Key, tuple[int, str]],
    seen: set[Key],
    complete: set[str],
    keep: int | None = None,
) -> dict[int, str]:
    """Delete unseen items of `complete` types (never `keep`); returns id → type deleted."""
    doomed: dict[int, str] = {
        item_id: key[0]
        for key, (item_id, _) in existing.items()
        if key[0] in complete and key not in seen and item_id != keep
    }
    if not doomed:
        return doomed
    levels = [list(doomed)]
    while levels[-1]:
        level: list[int] = []
        for part in chunked(levels[-1], IN_LIST):
            for r in conn.execute(
                select(ITEMS.c.id, ITEMS.c.type).where(ITEMS.c.parent_id.in_(part))
            ):
                if r.id not in doomed:
                    doomed[r.id] = r.type
                    level.append(r.id)
        levels.append(level)
    for level in reversed(levels):
        for part in chunked(level, IN_LIST):
            conn.execute(delete(ITEMS).where(ITEMS.c.id.in_(part)))
    return doomed
