"""What people change by hand: field edits (which lock the field), unlocks, and manual
matches (which lock the match). Shared by the CLI and the web API.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Connection, insert, select

from reel.catalog.db import Database, writing
from reel.catalog.models import Base
from reel.catalog.types import utcnow
from reel.errors import InvalidInput, NotFound
from reel.metadata import overlay
from reel.metadata.identify import Identifier, IdentifyReport
from reel.metadata.pending import set_state
from reel.sources.errors import BadResponse, CannotConnect

log = logging.getLogger(__name__)

ITEMS = Base.metadata.tables["items"]
META = Base.metadata.tables["item_metadata"]
LOCKS = Base.metadata.tables["field_locks"]


def _item(conn: Connection, item_id: int) -> Any:
    row = conn.execute(
        select(ITEMS.c.id, ITEMS.c.type, ITEMS.c.source_id, ITEMS.c.extra).where(
            ITEMS.c.id == item_id
        )
    ).first()
    if row is None:
        raise NotFound(f"no item with id {item_id}")
    return row


def _ensure_meta(conn: Connection, item_id: int, extra: dict[str, Any]) -> None:
    if conn.execute(select(META.c.item_id).where(META.c.item_id == item_id)).first() is None:
        conn.execute(
            insert(META).values(
                item_id=item_id, status="unidentified", provider="tmdb",
                query=extra.get("match") or {}, candidates=[], values={}, manual=False,
                attempts=0, updated_at=utcnow(),
            )
        )  # fmt: skip


def set_field(db: Database, item_id: int, field: str, raw: str) -> Any:
    """Set a field as a person wants it and lock it; returns the stored value."""
    try:
        value = overlay.coerce(field, raw)
    except overlay.FieldError as exc:
        raise InvalidInput(str(exc)) from None
    # Each of these reads the item first and then writes: the write lock from BEGIN.
    with writing(db.engine) as conn:
        row = _item(conn, item_id)
        _ensure_meta(conn, item_id, row.extra or {})
        overlay.lock(conn, item_id, field, value)
        overlay.apply(conn, [item_id])
    log.info("item %s: %s set by hand and locked", item_id, field)
    return value


def unlock(db: Database, item_id: int, field: str) -> bool:
    """Unlock a field; False when it was not locked."""
    if field not in overlay.FIELDS:
        raise InvalidInput(f"unknown field {field!r}; fields: {', '.join(overlay.FIELDS)}")
    with writing(db.engine) as conn:
        _item(conn, item_id)
        return overlay.unlock(conn, item_id, field)


def locks(db: Database, item_id: int) -> dict[str, Any]:
    with db.engine.connect() as conn:
        _item(conn, item_id)
        return overlay.locked_fields(conn, item_id)


def candidates(db: Database, item_id: int) -> dict[str, Any]:
    """The item's identification state and the candidates matching found."""
    with db.engine.connect() as conn:
        _item(conn, item_id)
        row = conn.execute(select(META).where(META.c.item_id == item_id)).first()
    if row is None:
        return {"id": item_id, "status": "unidentified", "candidates": []}
    return {
        "id": item_id,
        "status": row.status,
        "tmdb": row.provider_id,
        "method": row.method,
        "confidence": row.confidence,
        "manual": row.manual,
        "candidates": list(row.candidates or []),
    }


async def match(identifier: Identifier, item_id: int, tmdb_id: int) -> IdentifyReport:
    """Match a film or show to a TMDB id by hand, lock it, and enrich it if TMDB answers."""
    db = identifier.db
    with writing(db.engine) as conn:  # TMDB is asked only after the commit
        row = _item(conn, item_id)
        if row.type not in ("movie", "show"):
            raise InvalidInput(f"item {item_id} is a {row.type}; match its film or show instead")
        _ensure_meta(conn, item_id, row.extra or {})
        overlay.lock(conn, item_id, "tmdb_id", str(tmdb_id))
        set_state(
            conn, item_id, status="identified", provider_id=str(tmdb_id), method="manual",
            confidence=1.0, manual=True, candidates=[], values={}, last_error=None,
            next_attempt_at=None,
        )  # fmt: skip
    report = IdentifyReport(source=str(row.source_id))
    provider = identifier.provider
    if provider is None:
        report.error = "no TMDB API key: matched, details follow once one is set"
        return report
    with db.engine.connect() as conn:
        target = conn.execute(
            select(ITEMS.c.id, ITEMS.c.type, META.c.provider_id, META.c.attempts)
            .join(META, META.c.item_id == ITEMS.c.id)
            .where(ITEMS.c.id == item_id)
        ).one()
    try:
        await identifier.enrich_item(target, provider, report)
    except (CannotConnect, BadResponse) as exc:
        report.offline, report.error = True, f"matched; details will follow ({exc})"
    return report
