"""What the details page shows beyond the item row: cast, the other sources holding the
same title, whether a show's episodes still have to be fetched, and a duration where
the source gave none.

Everything comes from the catalog in one extra indexed query (item facts and the
identification's credits) plus one on the (tmdb_id) index for the copies. The one
exception is an Xtream film, whose cast and runtime only `get_vod_info` knows: that call
is made at most once per film and cache period, bounded by a short timeout, and skipped
while the source is marked unreachable — the page never waits on a dead panel.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reel.catalog.models import Item, PlaybackState, Source
from reel.catalog.models_metadata import ItemMetadata
from reel.catalog.views import ItemView
from reel.sources.base import SourceAdapter
from reel.sources.errors import SourceError

log = logging.getLogger(__name__)

MAX_CAST = 30
MAX_COPIES = 20
UNHEALTHY = frozenset({"offline", "needs_sign_in", "needs sign-in"})


@dataclass
class Facts:
    """The item's own extras, read next to its view."""

    source_kind: str
    source_status: str
    source_enabled: bool
    remote_id: str
    tmdb_id: str | None
    cast: list[dict[str, Any]] = field(default_factory=list)
    copies: list[dict[str, Any]] = field(default_factory=list)
    reported_duration_ms: int | None = None


def cast_entry(name: str, role: str | None = None) -> dict[str, Any]:
    return {"name": name, "role": role or None, "image": None}


def parse_cast(raw: object) -> list[dict[str, Any]]:
    """Cast as sources give it: a comma list (Xtream), or dicts with name/role (TMDB credits
    as the metadata engine stores them, NFO actors)."""
    people: list[dict[str, Any]] = []
    if isinstance(raw, str):
        people = [cast_entry(n.strip()) for n in raw.split(",") if n.strip()]
    elif isinstance(raw, list):
        for entry in raw:
            if isinstance(entry, str) and entry.strip():
                people.append(cast_entry(entry.strip()))
            elif isinstance(entry, dict) and isinstance(entry.get("name"), str):
                role = entry.get("role") or entry.get("character")
                people.append(cast_entry(entry["name"], role if isinstance(role, str) else None))
    return people[:MAX_CAST]


def load_facts(session: Session, item: ItemView, user_id: int) -> Facts:
    row = session.execute(
        select(
            Item.remote_id,
            Item.tmdb_id,
            Item.extra,
            Source.kind,
            Source.status,
            Source.enabled,
            ItemMetadata.values,
            PlaybackState.duration_ms,
        )
        .join(Source, Source.id == Item.source_id)
        .outerjoin(ItemMetadata, ItemMetadata.item_id == Item.id)
        .outerjoin(
            PlaybackState,
            (PlaybackState.item_id == Item.id) & (PlaybackState.user_id == user_id),
        )
        .where(Item.id == item.id)
    ).one()
    facts = Facts(
        source_kind=row.kind,
        source_status=row.status,
        source_enabled=bool(row.enabled),
        remote_id=row.remote_id,
        tmdb_id=row.tmdb_id,
        reported_duration_ms=row.duration_ms,
    )
    identified = row.values if isinstance(row.values, dict) else {}
    extra = row.extra if isinstance(row.extra, dict) else {}
    facts.cast = parse_cast(identified.get("cast")) or parse_cast(extra.get("cast"))
    facts.copies = copies(session, item, facts)
    return facts


def copies(session: Session, item: ItemView, facts: Facts) -> list[dict[str, Any]]:
    """Every catalog item of the same type with the same TMDB id (this one first)."""
    own = {"id": item.id, "source": item.source, "status": facts.source_status}
    if not facts.tmdb_id or item.type not in ("movie", "show", "episode"):
        return [own]
    rows = session.execute(
        select(Item.id, Source.name, Source.status)
        .join(Source, Source.id == Item.source_id)
        .where(Item.tmdb_id == facts.tmdb_id, Item.type == item.type, Item.id != item.id)
        .order_by(Source.name, Item.id)
        .limit(MAX_COPIES - 1)
    ).all()
    return [own] + [{"id": r.id, "source": r.name, "status": r.status} for r in rows]


@dataclass
class VodFacts:
    cast: list[dict[str, Any]]
    duration_ms: int | None


class VodInfoCache:
    """Per-film answers of `vod_details` (Xtream's get_vod_info), kept for a while."""

    def __init__(
        self,
        *,
        timeout: float = 2.5,
        ttl_s: float = 6 * 3600,
        miss_ttl_s: float = 300,
        size: int = 4096,
    ) -> None:
        self.timeout = timeout
        self.ttl_s = ttl_s
        self.miss_ttl_s = miss_ttl_s
        self.size = size
        self._entries: OrderedDict[int, tuple[float, VodFacts | None]] = OrderedDict()

    def clear(self) -> None:
        self._entries.clear()

    def cached(self, item_id: int) -> tuple[bool, VodFacts | None]:
        hit = self._entries.get(item_id)
        if hit is None or hit[0] < time.monotonic():
            return False, None
        self._entries.move_to_end(item_id)
        return True, hit[1]

    def _keep(self, item_id: int, facts: VodFacts | None) -> None:
        ttl = self.ttl_s if facts is not None else self.miss_ttl_s
        self._entries[item_id] = (time.monotonic() + ttl, facts)
        self._entries.move_to_end(item_id)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    async def get(self, adapter: SourceAdapter, item_id: int, remote_id: str) -> VodFacts | None:
        known, facts = self.cached(item_id)
        if known:
            return facts
        fetch = getattr(adapter, "vod_details", None)
        if fetch is None:
            return None
        try:
            record = await asyncio.wait_for(fetch(remote_id), self.timeout)
        except (SourceError, TimeoutError) as exc:
            log.info("film details of item %s unavailable: %s", item_id, exc or "timed out")
            record = None
        except Exception:  # an extra on the page: a broken source config must not fail it
            log.warning("film details of item %s failed", item_id, exc_info=True)
            record = None
        facts = (
            VodFacts(parse_cast(record.extra.get("cast")), record.duration_ms)
            if record is not None
            else None
        )
        self._keep(item_id, facts)
        return facts


def wants_vod_info(item: ItemView, facts: Facts, adapter_class: type[SourceAdapter]) -> bool:
    """A film whose source has per-film details we lack, and which is worth asking now."""
    return (
        item.type == "movie"
        and not facts.cast
        and facts.source_enabled
        and facts.source_status not in UNHEALTHY
        and hasattr(adapter_class, "vod_details")
    )


def details_json(item: ItemView, facts: Facts, *, children_pending: bool) -> dict[str, Any]:
    """The details answer: the item view plus `cast`, `sources`, `children_pending`."""
    body: dict[str, Any] = {f: getattr(item, f) for f in item.__struct_fields__}
    if body["duration_ms"] is None:
        body["duration_ms"] = facts.reported_duration_ms
    body["cast"] = facts.cast
    body["sources"] = facts.copies
    body["children_pending"] = children_pending
    return body
