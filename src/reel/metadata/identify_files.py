"""The last step of identification: Kodi NFOs and artwork next to the media.

Only enriched items are written (Reel writes what it knows), from the item rows as they
stand after the overlay, so locks and NFO values are what Kodi reads back.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from reel.catalog.models import Base
from reel.metadata import kodi_files as K
from reel.metadata.assets import AssetStore

log = logging.getLogger(__name__)

ITEMS = Base.metadata.tables["items"]
META = Base.metadata.tables["item_metadata"]


def _rows(conn: Connection, source_id: int, ids: Iterable[int]) -> list[Any]:
    wanted = list(ids)
    out: list[Any] = []
    for start in range(0, len(wanted), 500):
        out.extend(
            conn.execute(
                select(ITEMS, META.c["values"].label("m_values"))
                .join(META, META.c.item_id == ITEMS.c.id)
                .where(
                    ITEMS.c.source_id == source_id,
                    ITEMS.c.id.in_(wanted[start : start + 500]),
                    META.c.status == "enriched",
                )
            )
        )
    return out


def write_files(
    conn: Connection, assets: AssetStore, source_id: int, settings: dict[str, Any], ids: set[int]
) -> dict[str, int]:
    """Write NFOs/artwork for the enriched items among `ids`; returns outcome counts."""
    tally: Counter[str] = Counter()
    nfo, art = bool(settings.get("write_nfo")), bool(settings.get("write_artwork"))
    rows = _rows(conn, source_id, ids)
    by_id = {r.id: r for r in rows}
    # Episodes sharing a file are written together: fetch the siblings of touched ones.
    seasons = {r.parent_id for r in rows if r.type == "episode" and r.parent_id}
    if seasons:
        siblings = conn.execute(
            select(ITEMS.c.id).where(ITEMS.c.parent_id.in_(list(seasons)))
        ).scalars()
        extra_ids = [i for i in siblings if i not in by_id]
        for r in _rows(conn, source_id, extra_ids):
            by_id[r.id] = r
    episodes: dict[str, list[Any]] = {}
    for r in by_id.values():
        values = r.m_values or {}
        path = (r.extra or {}).get("path")
        try:
            if nfo and path and r.type == "movie":
                tally[K.write_movie_nfo(Path(path), K.document("movie", r, values))] += 1
            elif nfo and path and r.type == "show":
                tally[K.write_show_nfo(Path(path), K.document("tvshow", r, values))] += 1
            elif r.type == "episode" and path:
                episodes.setdefault(path, []).append(r)
            if art and r.id in ids:
                tally["artwork"] += _artwork(conn, assets, r, by_id)
        except OSError as exc:
            log.warning("cannot write Kodi files for item %s: %s", r.id, exc)
            tally["failed"] += 1
    if nfo:
        for path, eps in episodes.items():
            if any(e.id in ids for e in eps):
                docs = [K.document("episodedetails", e, e.m_values or {}) for e in eps]
                try:
                    tally[K.write_episode_nfo(Path(path), docs)] += 1
                except OSError as exc:
                    log.warning("cannot write %s: %s", path, exc)
                    tally["failed"] += 1
    return dict(tally)


def _artwork(conn: Connection, assets: AssetStore, r: Any, by_id: dict[int, Any]) -> int:
    written = 0
    for role in ("poster", "fanart", "thumb"):
        blob = assets.file_for(conn, r.id, role)
        if blob is None:
            continue
        target = K.artwork_targets(r.type, r, role)
        if r.type == "season" and role == "poster":
            show = conn.execute(select(ITEMS.c.extra).where(ITEMS.c.id == r.parent_id)).scalar()
            target = K.season_poster_target((show or {}).get("path"), r.season)
        if target is not None and K.place_artwork(blob, target):
            written += 1
    return written
