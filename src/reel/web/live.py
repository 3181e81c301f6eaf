"""Channels on air now, for Home's "Live now" shelf, without naming any channel.

Channels with a guide id are taken in channel-number order and their now/next looked up
a batch at a time on the programmes' (channel_key, start) index, until `limit` of them
have something on now; a catalog of 20k channels reads a batch or two, never the whole
guide.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reel.catalog.guide import ChannelQuery, NowNext, now_next
from reel.catalog.models import Item, Source

BATCH = 250
MAX_SCANNED = 4000  # channels looked at, at most, to fill the shelf


def live_now(session: Session, limit: int) -> list[NowNext]:
    ids = list(
        session.scalars(
            select(Item.id)
            .where(Item.type == "channel", Item.epg_id.is_not(None))
            .order_by(func.coalesce(Item.channel_number, 1 << 30), Item.sort_key, Item.id)
            .limit(MAX_SCANNED)
        )
    )
    found: list[NowNext] = []
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        answer = now_next(session, ChannelQuery(ids=batch, limit=len(batch)))
        found += [c for c in answer.channels if c.now is not None]
        if len(found) >= limit:
            break
    return found[:limit]


def with_cards(session: Session, channels: Sequence[NowNext]) -> list[dict[str, Any]]:
    """Each now/next entry with what a channel card draws: `source` and `artwork`."""
    if not channels:
        return []
    rows = session.execute(
        select(Item.id, Item.artwork, Source.name)
        .join(Source, Source.id == Item.source_id)
        .where(Item.id.in_([c.id for c in channels]))
    ).all()
    by_id = {r.id: r for r in rows}
    out = []
    for channel in channels:
        entry = msgspec.structs.asdict(channel)
        row = by_id.get(channel.id)
        entry["source"] = row.name if row is not None else None
        entry["artwork"] = dict(row.artwork or {}) if row is not None else {}
        out.append(entry)
    return out
