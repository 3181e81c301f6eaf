"""Lay identification results and people's edits over item rows.

A rescan rewrites a local item's row from its file and NFO; what identification found
(`item_metadata.values`) and what a person set (`field_locks`) live apart and are laid
over the row again after every change, in this order:

    file name  <  provider values  <  NFO values  <  field locks

(NFO fields are listed by the adapter in `extra["nfo_fields"]`; provider values never
touch them). Only columns that really change are written, and titles re-derive the sort
and search columns so the full-text index follows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from reel.catalog import text
from reel.catalog.models import Base

ITEMS = Base.metadata.tables["items"]
ITEM_GENRES = Base.metadata.tables["item_genres"]
META = Base.metadata.tables["item_metadata"]
LOCKS = Base.metadata.tables["field_locks"]

# Fields people may edit (and lock) and identification may fill; all are item columns.
FIELDS: dict[str, type] = {
    "title": str,
    "original_title": str,
    "sort_title": str,
    "year": int,
    "overview": str,
    "rating": float,
    "genres": list,
    "duration_ms": int,
    "tmdb_id": str,
    "imdb_id": str,
    "tvdb_id": str,
}
OVERLAID = (*FIELDS, "artwork")
_TITLE_FIELDS = {"title", "original_title", "sort_title"}
IN_LIST = 500


class FieldError(ValueError):
    """A field name or value that cannot be set."""


def coerce(field: str, raw: str) -> Any:
    """A command-line value as the column wants it (`genres` takes a comma list)."""
    kind = FIELDS.get(field)
    if kind is None:
        raise FieldError(f"cannot set {field!r}; fields: {', '.join(FIELDS)}")
    if raw == "" and field != "title":
        return None
    try:
        if kind is int:
            return int(raw)
        if kind is float:
            return float(raw)
    except ValueError:
        raise FieldError(f"{field} needs a number, not {raw!r}") from None
    if kind is list:
        return [g.strip() for g in raw.split(",") if g.strip()]
    if field == "title" and not raw.strip():
        raise FieldError("a title cannot be empty")
    return raw.strip()


def _unwrap(stored: Any) -> Any:
    """Lock values are stored as {"v": value}: a bare number in a JSON column gets
    SQLite's numeric affinity and no longer reads back as JSON."""
    return stored.get("v") if isinstance(stored, dict) else stored


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), IN_LIST):
        yield ids[start : start + IN_LIST]


def apply(conn: Connection, item_ids: Sequence[int]) -> list[int]:
    """Re-apply metadata and locks to `item_ids`; returns the ids whose row changed."""
    changed: list[int] = []
    for part in _chunks(list(item_ids)):
        locks: dict[int, dict[str, Any]] = {}
        for lock in conn.execute(select(LOCKS).where(LOCKS.c.item_id.in_(part))):
            locks.setdefault(lock.item_id, {})[lock.field] = _unwrap(lock.value)
        rows = conn.execute(
            select(
                ITEMS,
                META.c.status.label("m_status"),
                META.c["values"].label("m_values"),
                META.c.candidates.label("m_candidates"),
                META.c.confidence.label("m_confidence"),
            )
            .outerjoin(META, META.c.item_id == ITEMS.c.id)
            .where(ITEMS.c.id.in_(part))
        ).all()
        for row in rows:
            if _apply_one(conn, row, locks.get(row.id, {})):
                changed.append(row.id)
    return changed


def _apply_one(conn: Connection, row: Any, locks: dict[str, Any]) -> bool:
    extra = dict(row.extra or {})
    nfo_fields = set(extra.get("nfo_fields") or ())
    wanted: dict[str, Any] = {}
    for field, value in (row.m_values or {}).items():
        if field in OVERLAID and field not in nfo_fields and field not in locks:
            wanted[field] = value
    wanted.update({f: v for f, v in locks.items() if f in FIELDS})
    new_extra = dict(extra)
    new_extra["status"] = row.m_status or extra.get("status") or "unidentified"
    new_extra["locked"] = sorted(locks)
    if row.m_confidence is not None:
        new_extra["confidence"] = row.m_confidence
    if row.m_status == "unidentified" and row.m_candidates:
        new_extra["candidates"] = list(row.m_candidates)[:5]
    else:
        new_extra.pop("candidates", None)
    values = {f: v for f, v in wanted.items() if getattr(row, f) != v}
    if new_extra != extra:
        values["extra"] = new_extra
    if not values:
        return False
    if _TITLE_FIELDS & values.keys():
        title = values.get("title", row.title)
        original = values.get("original_title", row.original_title)
        sort_title = values.get("sort_title", row.sort_title)
        values["sort_key"] = text.sort_key(title, sort_title)
        values["search_title"] = text.search_title(title)
        values["search_text"] = text.search_text(title, original)
    conn.execute(update(ITEMS).where(ITEMS.c.id == row.id).values(**values))
    if "genres" in values:
        conn.execute(delete(ITEM_GENRES).where(ITEM_GENRES.c.item_id == row.id))
        names = {str(g).strip()[:100] for g in values["genres"] or []}
        if names:
            conn.execute(
                insert(ITEM_GENRES), [{"item_id": row.id, "genre": g} for g in sorted(names) if g]
            )
    return True


def lock(conn: Connection, item_id: int, field: str, value: Any) -> None:
    """Set `field` as a person chose and lock it against automation."""
    if field not in FIELDS:
        raise FieldError(f"cannot lock {field!r}; fields: {', '.join(FIELDS)}")
    conn.execute(delete(LOCKS).where(LOCKS.c.item_id == item_id, LOCKS.c.field == field))
    conn.execute(insert(LOCKS).values(item_id=item_id, field=field, value={"v": value}))


def unlock(conn: Connection, item_id: int, field: str) -> bool:
    """Let automation write `field` again.

    The row's content hash is cleared so the next scan rewrites it from the file (the
    writer skips rows whose hash matches), and the provider's value applies at once.
    """
    done = conn.execute(delete(LOCKS).where(LOCKS.c.item_id == item_id, LOCKS.c.field == field))
    if done.rowcount:
        conn.execute(update(ITEMS).where(ITEMS.c.id == item_id).values(content_hash=""))
        apply(conn, [item_id])
    return bool(done.rowcount)


def locked_fields(conn: Connection, item_id: int) -> dict[str, Any]:
    return {
        r.field: _unwrap(r.value)
        for r in conn.execute(
            select(LOCKS.c.field, LOCKS.c.value).where(LOCKS.c.item_id == item_id)
        )
    }
