"""After a scan: find the local items the scan created or rewrote and bring their
metadata bookkeeping in step (files, identification state, the overlay).

An item needs attention when it has no `item_metadata` row yet (new) or when the sync
wrote its row after identification last did (`items.modified_at > updated_at`: the file
was renamed, changed, or its NFO edited). A rewritten item keeps its identification
unless what identifies it (title, year, ids from the name or NFO) changed; a manual
match survives even that.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Select, delete, insert, or_, select, update

from reel.catalog.models import Base
from reel.catalog.types import utcnow
from reel.metadata import overlay

ITEMS = Base.metadata.tables["items"]
META = Base.metadata.tables["item_metadata"]
FILES = Base.metadata.tables["local_files"]
IDENTIFIED = ("identified", "enriched")


def _pending(source_id: int, *columns: Any) -> Select[Any]:
    """`columns` of the source's items that are new or were rewritten since
    identification saw them."""
    return (
        select(*columns)
        .outerjoin(META, META.c.item_id == ITEMS.c.id)
        .where(
            ITEMS.c.source_id == source_id,
            or_(META.c.item_id.is_(None), ITEMS.c.modified_at > META.c.updated_at),
        )
    )


def pending_items(conn: Connection, source_id: int) -> list[Any]:
    """Items of the source that are new or were rewritten since identification saw them."""
    return list(
        conn.execute(
            _pending(
                source_id,
                ITEMS.c.id,
                ITEMS.c.type,
                ITEMS.c.extra,
                META.c.item_id.label("m_item"),
                META.c.query.label("m_query"),
                META.c.manual.label("m_manual"),
                META.c.status.label("m_status"),
            )
        )
    )


def has_pending(conn: Connection, source_id: int) -> bool:
    """Whether `pending_items` would find anything (a plain read that stops at one row)."""
    return conn.execute(_pending(source_id, ITEMS.c.id).limit(1)).first() is not None


def _file_rows(source_id: int, item_id: int, extra: dict[str, Any]) -> list[dict[str, Any]]:
    now = utcnow()
    parse = extra.get("parse") or {}
    return [
        {
            "source_id": source_id,
            "item_id": item_id,
            "file_id": str(f.get("file_id", ""))[:64],
            "path": str(f["path"]),
            "size": int(f.get("size") or 0),
            "mtime_ns": int(f.get("mtime_ns") or 0),
            "partial_hash": f.get("phash"),
            "parse": parse,
            "manual_override": False,
            "updated_at": now,
        }
        for f in extra.get("files") or ()
        if f.get("path")
    ]


def _new_meta(item_id: int, extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "status": "unidentified",
        "provider": "tmdb",
        "query": extra.get("match") or {},
        "candidates": [],
        "values": {},
        "manual": False,
        "attempts": 0,
        "updated_at": utcnow(),
    }


def prepare(conn: Connection, source_id: int) -> list[int]:
    """Bookkeeping for new and rewritten items; returns their ids (already overlaid)."""
    rows = pending_items(conn, source_id)
    if not rows:
        return []
    ids = [r.id for r in rows]
    for start in range(0, len(ids), overlay.IN_LIST):
        part = ids[start : start + overlay.IN_LIST]
        conn.execute(delete(FILES).where(FILES.c.item_id.in_(part)))
    files: list[dict[str, Any]] = []
    fresh: list[dict[str, Any]] = []
    reset: list[int] = []
    for r in rows:
        extra = r.extra or {}
        files.extend(_file_rows(source_id, r.id, extra))
        if r.m_item is None:
            fresh.append(_new_meta(r.id, extra))
        elif not r.m_manual and (r.m_query or {}) != (extra.get("match") or {}):
            reset.append(r.id)
    if files:
        conn.execute(insert(FILES), files)
    if fresh:
        conn.execute(insert(META), fresh)
    _reset(conn, reset, rows)
    _touch(conn, ids)
    overlay.apply(conn, ids)
    return ids


def _reset(conn: Connection, ids: Sequence[int], rows: Sequence[Any]) -> None:
    """What identifies these items changed: identify them again from scratch."""
    queries = {r.id: (r.extra or {}).get("match") or {} for r in rows}
    for item_id in ids:
        conn.execute(
            update(META)
            .where(META.c.item_id == item_id)
            .values(
                status="unidentified",
                provider_id=None,
                method=None,
                confidence=None,
                candidates=[],
                values={},
                query=queries[item_id],
                attempts=0,
                next_attempt_at=None,
            )
        )


def _touch(conn: Connection, ids: Sequence[int]) -> None:
    now = utcnow()
    for start in range(0, len(ids), overlay.IN_LIST):
        part = list(ids[start : start + overlay.IN_LIST])
        conn.execute(update(META).where(META.c.item_id.in_(part)).values(updated_at=now))


def set_state(conn: Connection, item_id: int, **values: Any) -> None:
    """Update an item's identification row (stamping it) and re-apply the overlay."""
    values["updated_at"] = utcnow()
    conn.execute(update(META).where(META.c.item_id == item_id).values(**values))
    overlay.apply(conn, [item_id])
