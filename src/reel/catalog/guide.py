"""The TV guide: now/next per channel and a time window of programmes.

Programmes are keyed by (source, EPG channel id); a channel item carries its `epg_id`.
Channels are picked first (by id, category or source, in channel-number order, bounded),
then one query fetches the programmes of all of them on the (channel_key, start) index —
now/next uses a window function to keep two rows per channel instead of a whole day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from reel.catalog.models import Category, Item, Programme, Source
from reel.catalog.types import utcnow
from reel.errors import InvalidInput

MAX_HOURS = 48
MAX_CHANNELS = 500
NOW_NEXT_HORIZON = timedelta(hours=24)


class ProgrammeView(msgspec.Struct):
    start: datetime
    stop: datetime
    title: str
    description: str | None = None


class GuideChannel(msgspec.Struct):
    id: int
    title: str
    channel_number: int | None
    epg_id: str | None
    category: str | None
    source: str
    programmes: list[ProgrammeView] = msgspec.field(default_factory=list)


class Guide(msgspec.Struct):
    start: datetime
    stop: datetime
    channels: list[GuideChannel]


class NowNext(msgspec.Struct):
    id: int
    title: str
    channel_number: int | None
    epg_id: str | None
    now: ProgrammeView | None = None
    next: ProgrammeView | None = None


class NowNextList(msgspec.Struct):
    channels: list[NowNext]


@dataclass(frozen=True)
class ChannelQuery:
    """Which channels: explicit ids win, else a category or a source, else all."""

    ids: Sequence[int] = ()
    category_id: int | None = None
    source: str | None = None
    limit: int = 100


def _channels(session: Session, q: ChannelQuery) -> list[Any]:
    if not 1 <= q.limit <= MAX_CHANNELS:
        raise InvalidInput(f"limit must be between 1 and {MAX_CHANNELS}")
    stmt = (
        select(
            Item.id,
            Item.title,
            Item.channel_number,
            Item.epg_id,
            Item.source_id,
            Source.name.label("source_name"),
            Category.name.label("category_name"),
        )
        .join(Source, Source.id == Item.source_id)
        .outerjoin(Category, Category.id == Item.category_id)
        .where(Item.type == "channel")
    )
    if q.ids:
        stmt = stmt.where(Item.id.in_(list(q.ids)))
    else:
        if q.category_id is not None:
            stmt = stmt.where(Item.category_id == q.category_id)
        if q.source is not None:
            stmt = stmt.where(Source.name == q.source)
    stmt = stmt.order_by(func.coalesce(Item.channel_number, 1 << 30), Item.sort_key, Item.id).limit(
        q.limit
    )
    rows = list(session.execute(stmt).all())
    if q.ids:
        order = {cid: i for i, cid in enumerate(q.ids)}
        rows.sort(key=lambda r: order.get(r.id, 0))
    return rows


def _keys(rows: Sequence[Any]) -> list[tuple[int, str]]:
    return sorted({(r.source_id, r.epg_id) for r in rows if r.epg_id})


def _prog(row: Any) -> ProgrammeView:
    return ProgrammeView(
        start=row.start, stop=row.stop, title=row.title, description=row.description
    )


def guide(session: Session, q: ChannelQuery, at: datetime | None = None, hours: float = 3) -> Guide:
    """Programmes overlapping [at, at + hours) for the chosen channels."""
    if not 0 < hours <= MAX_HOURS:
        raise InvalidInput(f"hours must be more than 0 and at most {MAX_HOURS}")
    start = _aware(at) if at is not None else utcnow()
    try:
        stop = start + timedelta(hours=hours)
    except OverflowError:
        raise InvalidInput("the guide window must end before the year 10000") from None
    channels = _channels(session, q)
    by_key: dict[tuple[int, str], list[ProgrammeView]] = {}
    keys = _keys(channels)
    if keys:
        rows = session.execute(
            select(Programme)
            .where(
                tuple_(Programme.source_id, Programme.channel_key).in_(keys),
                Programme.stop > start,
                Programme.start < stop,
            )
            .order_by(Programme.channel_key, Programme.start)
        ).scalars()
        for p in rows:
            by_key.setdefault((p.source_id, p.channel_key), []).append(_prog(p))
    return Guide(
        start=start,
        stop=stop,
        channels=[
            GuideChannel(
                id=c.id,
                title=c.title,
                channel_number=c.channel_number,
                epg_id=c.epg_id,
                category=c.category_name,
                source=c.source_name,
                programmes=by_key.get((c.source_id, c.epg_id), []) if c.epg_id else [],
            )
            for c in channels
        ],
    )


def now_next(session: Session, q: ChannelQuery, at: datetime | None = None) -> NowNextList:
    """What is on now and next on each chosen channel."""
    moment = _aware(at) if at is not None else utcnow()
    if moment.year >= 9999:
        raise InvalidInput("the time must be before the year 9999")
    channels = _channels(session, q)
    keys = _keys(channels)
    found: dict[tuple[int, str], list[Any]] = {}
    if keys:
        rank = (
            func.row_number()
            .over(
                partition_by=(Programme.source_id, Programme.channel_key),
                order_by=Programme.start,
            )
            .label("rank")
        )
        inner = (
            select(Programme, rank)
            .where(
                tuple_(Programme.source_id, Programme.channel_key).in_(keys),
                Programme.stop > moment,
                Programme.start < moment + NOW_NEXT_HORIZON,
            )
            .subquery()
        )
        rows = session.execute(select(inner).where(inner.c.rank <= 2)).all()
        for row in rows:
            found.setdefault((row.source_id, row.channel_key), []).append(row)
    out: list[NowNext] = []
    for c in channels:
        entry = NowNext(id=c.id, title=c.title, channel_number=c.channel_number, epg_id=c.epg_id)
        progs = sorted(found.get((c.source_id, c.epg_id), []), key=lambda r: r.start)
        if progs and progs[0].start <= moment:
            entry.now = _prog(progs[0])
            entry.next = _prog(progs[1]) if len(progs) > 1 else None
        elif progs:
            entry.next = _prog(progs[0])
        out.append(entry)
    return NowNextList(channels=out)


def _aware(value: datetime) -> datetime:
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise InvalidInput("that time is out of range") from None
