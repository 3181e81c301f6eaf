"""Stream details of local items (ffprobe), laid onto `items.extra["stream_details"]`.

Runs in the post-sync identification pass, not in the scan: ffprobe costs tens of
milliseconds per file (seconds on a sleepy NAS) and a scan must stay cheap. Each file
is probed once per (path, size, mtime): the answer is kept in `metadata_cache`, which a
rescan never touches, because a rescan rewrites the item row (and its `extra`) whenever
the file or its NFO changes, and an NFO edit or an unlock should not cost another probe.
`extra["probe_key"]` says which file version the row's details describe, so rows that
already carry them are skipped without a cache lookup.

Without ffprobe nothing happens beyond one logged line; the web player then decides
direct play from the file extension alone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import Connection, select, update

from reel.catalog.db import Database
from reel.catalog.models import Base
from reel.metadata import probe
from reel.metadata.dbcache import DbCache
from reel.metadata.probe import Probed, StreamDetails

log = logging.getLogger(__name__)

ITEMS = Base.metadata.tables["items"]
CONCURRENCY = 2  # ffprobe is I/O-bound on a NAS; more readers only thrash the disks
TIMEOUT_S = 60.0
CACHE_TTL_S = 365 * 24 * 3600.0
_KEY_PREFIX = "ffprobe:v1:"
_PLAYABLE = ("movie", "episode")


@dataclass
class ProbeTally:
    probed: int = 0
    cached: int = 0
    unreadable: int = 0
    failed: int = 0
    updated: set[int] = field(default_factory=set)

    def to_json(self) -> dict[str, int]:
        return {
            "probed": self.probed,
            "cached": self.cached,
            "unreadable": self.unreadable,
            "failed": self.failed,
            "updated": len(self.updated),
        }


def file_key(extra: dict[str, Any]) -> tuple[str, Path] | None:
    """(cache key, path) of the item's playable file: the one its stream path names."""
    files = [f for f in extra.get("files") or () if isinstance(f, dict) and f.get("path")]
    if not files:
        return None
    main = next((f for f in files if f["path"] == extra.get("path")), files[0])
    key = (
        f"{_KEY_PREFIX}{int(main.get('size') or 0)}:{int(main.get('mtime_ns') or 0)}:{main['path']}"
    )
    return key, Path(str(main["path"]))


def details_json(details: StreamDetails) -> dict[str, Any]:
    """The shape `extra["stream_details"]` holds (what the web player reads)."""
    out: dict[str, Any] = msgspec.to_builtins(details)
    return out


def stored_details(extra: dict[str, Any]) -> StreamDetails | None:
    """`extra["stream_details"]` back as a struct (None when absent or malformed)."""
    raw = extra.get("stream_details")
    if not isinstance(raw, dict):
        return None
    try:
        return msgspec.convert(raw, StreamDetails)
    except msgspec.ValidationError:
        return None


def _load(db: Database, source_id: int) -> list[Any]:
    with db.engine.connect() as conn:
        return list(
            conn.execute(
                select(ITEMS.c.id, ITEMS.c.extra, ITEMS.c.duration_ms).where(
                    ITEMS.c.source_id == source_id, ITEMS.c.type.in_(_PLAYABLE)
                )
            )
        )


async def _answer(cache: DbCache, key: str, path: Path, gate: asyncio.Semaphore) -> Probed:
    """The cached answer for this file version, or a fresh probe (remembered if final)."""
    hit = await cache.get(key)
    if hit is not None:
        try:
            details = msgspec.json.decode(hit, type=StreamDetails | None)
        except msgspec.DecodeError:
            details = None
        else:
            return Probed("ok" if details else "unreadable", details)
    async with gate:
        outcome = await asyncio.to_thread(probe.probe_file, path, TIMEOUT_S)
    if outcome.status in ("ok", "unreadable"):
        await cache.set(key, msgspec.json.encode(outcome.details), CACHE_TTL_S)
    return outcome


def _lay(conn: Connection, row: Any, key: str, outcome: Probed) -> bool:
    extra = dict(row.extra or {})
    extra["probe_key"] = key
    values: dict[str, Any] = {}
    if outcome.details is not None:
        extra["stream_details"] = details_json(outcome.details)
        seconds = outcome.details.duration_s
        locked = set(extra.get("locked") or ())
        if row.duration_ms is None and seconds and "duration_ms" not in locked:
            values["duration_ms"] = round(seconds * 1000)
    else:
        extra.pop("stream_details", None)
    if extra == (row.extra or {}) and not values:
        return False
    conn.execute(update(ITEMS).where(ITEMS.c.id == row.id).values(extra=extra, **values))
    return True


async def add_stream_details(db: Database, source_id: int) -> ProbeTally:
    """Probe the source's films and episodes whose file version has no details yet."""
    tally = ProbeTally()
    if not probe.available():
        return tally
    rows = await asyncio.to_thread(_load, db, source_id)
    wanted: dict[str, tuple[Path, list[Any]]] = {}
    for r in rows:
        found = file_key(r.extra or {})
        if found is None or (r.extra or {}).get("probe_key") == found[0]:
            continue
        wanted.setdefault(found[0], (found[1], []))[1].append(r)
    if not wanted:
        return tally
    cache = DbCache(db.engine)
    gate = asyncio.Semaphore(CONCURRENCY)
    keys = list(wanted)
    outcomes: Sequence[Probed] = await asyncio.gather(
        *(_answer(cache, k, wanted[k][0], gate) for k in keys)
    )
    tally.cached = cache.hits
    with db.engine.begin() as conn:
        for key, outcome in zip(keys, outcomes, strict=True):
            if outcome.status in ("failed", "missing"):
                tally.failed += 1
                continue
            tally.unreadable += outcome.status == "unreadable"
            for row in wanted[key][1]:
                if _lay(conn, row, key, outcome):
                    tally.updated.add(row.id)
    tally.probed = len(keys) - tally.cached
    log.info("stream details of source %d: %s", source_id, tally.to_json())
    return tally
