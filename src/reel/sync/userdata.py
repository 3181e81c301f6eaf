"""Watch state reported by a source → `playback_state` of the local user.

A row with `pending_write_back` holds a change made here that the server has not heard
of yet; the server's older view must not overwrite it, so such rows are left alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, and_, bindparam, select, update

from reel.catalog.models import Base
from reel.catalog.types import utcnow
from reel.sources.records import UserDataRecord
from reel.sync.bulk import BulkWriter

PLAYBACK = Base.metadata.tables["playback_state"]
IN_LIST = 500


def apply_user_data(
    conn: Connection,
    user_id: int,
    records: Sequence[UserDataRecord],
    item_ids: Mapping[tuple[str, str], tuple[int, str]],
    bulk: BulkWriter | None = None,
    *,
    all_new: bool = False,
) -> list[int]:
    """Upsert the records for `user_id`; returns the item ids whose state changed.

    New rows go through the bulk writer: a first sync of a big server brings tens of
    thousands of them, and SQLAlchemy's per-row parameter processing was most of their cost.
    `all_new` says the items were all created in the caller's transaction, so none has a
    row yet and there is nothing to look up.
    """
    wanted: dict[int, UserDataRecord] = {}
    for rec in records:
        found = item_ids.get((rec.type, rec.remote_id))
        if found is not None:
            wanted[found[0]] = rec
    if not wanted:
        return []
    current: dict[int, Any] = {}
    ids = [] if all_new else list(wanted)
    for start in range(0, len(ids), IN_LIST):
        part = ids[start : start + IN_LIST]
        for row in conn.execute(
            select(PLAYBACK).where(PLAYBACK.c.user_id == user_id, PLAYBACK.c.item_id.in_(part))
        ):
            current[row.item_id] = row
    now = utcnow()
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for item_id, rec in wanted.items():
        values = {
            "position_ms": max(0, rec.position_ms),
            "played": rec.played,
            "play_count": max(0, rec.play_count),
            "last_played_at": rec.last_played_at,
        }
        existing = current.get(item_id)
        if existing is None:
            if rec.position_ms or rec.played or rec.play_count:
                inserts.append(
                    {
                        "user_id": user_id,
                        "item_id": item_id,
                        "updated_at": now,
                        "pending_write_back": False,
                        **values,
                    }
                )
            continue
        if existing.pending_write_back:
            continue
        if all(getattr(existing, k) == v for k, v in values.items()):
            continue
        updates.append({"b_item": item_id, "updated_at": now, **values})
    if inserts:
        (bulk or BulkWriter(conn)).insert(PLAYBACK, inserts)
    if updates:
        conn.execute(
            update(PLAYBACK).where(
                and_(PLAYBACK.c.user_id == user_id, PLAYBACK.c.item_id == bindparam("b_item"))
            ),
            updates,
        )
    return [r["item_id"] for r in inserts] + [r["b_item"] for r in updates]
