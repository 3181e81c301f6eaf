"""Bytes the fake sends: listings in PHP json_encode style, the XMLTV guide, short EPG.

Listings are rendered once per catalog version and cached, so a 100k-film listing costs
one render and then only socket time, like a panel serving from its own cache.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo

import orjson

from reel.testing.fakes.xtream import entries, names
from reel.testing.fakes.xtream.catalog import XtreamCatalog
from reel.testing.fakes.xtream.names import mix


def php_json(value: Any) -> bytes:
    """json_encode escapes slashes; panels keep that default, so the fake does too."""
    return orjson.dumps(value).replace(b"/", b"\\/")


def listing(cat: XtreamCatalog, action: str, category: str | None = None) -> list[dict[str, Any]]:
    """The objects of a get_live_streams / get_vod_streams / get_series answer, in order."""
    kind, build = {
        "get_live_streams": ("live", entries.live_entry),
        "get_vod_streams": ("vod", entries.vod_entry),
        "get_series": ("series", entries.series_entry),
    }[action]
    if cat.config.status != "Active":
        return []
    out: list[dict[str, Any]] = []
    for i in cat.state[kind].indexes():  # type: ignore[index]
        if category is not None and cat.category_of(kind, i) != category:  # type: ignore[arg-type]
            continue
        entry = build(cat, i)
        out.append(entry)
        if cat.is_duplicated(kind, i):  # type: ignore[arg-type]
            out.append(entry)
    return out


def programmes(cat: XtreamCatalog, i: int) -> Iterator[tuple[int, int, str, str]]:
    """(start, stop, title, description) of channel i, contiguous over the guide window."""
    start = int(cat.epg_start.timestamp())
    end = start + cat.config.epg_hours * 3600
    k = 0
    while start < end:
        length = 1800 if mix(i, k, cat.config.seed) % 2 else 3600
        title = names.title(i * 1000 + k, cat.config.seed, 12)
        yield start, start + length, title, f"{title}: news & weather <live> — Folge {k + 1}"
        start += length
        k += 1


def _xmltv_time(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y%m%d%H%M%S +0000")


def xmltv(cat: XtreamCatalog) -> bytes:
    """The whole guide as xmltv.php sends it."""
    parts = ['<?xml version="1.0" encoding="utf-8" ?>\n<!DOCTYPE tv SYSTEM "xmltv.dtd">\n']
    parts.append('<tv generator-info-name="Xtream Codes" generator-info-url="">\n')
    channels: list[tuple[int, str]] = []
    for i in cat.state["live"].indexes():
        epg = cat.epg_id(i)
        if epg:
            channels.append((i, epg))
    for i, epg in channels:
        name = cat.live_name(i) or epg
        parts.append(
            f"  <channel id={quoteattr(epg)}>\n"
            f"    <display-name>{escape(name)}</display-name>\n"
            f"    <icon src={quoteattr(cat.image('live', cat.stream_id('live', i)))} />\n"
            "  </channel>\n"
        )
    for i, epg in channels:
        for start, stop, title, desc in programmes(cat, i):
            parts.append(
                f"  <programme start={quoteattr(_xmltv_time(start))} "
                f"stop={quoteattr(_xmltv_time(stop))} channel={quoteattr(epg)}>\n"
                f'    <title lang="de">{escape(title)}</title>\n'
                f'    <desc lang="de">{escape(desc)}</desc>\n'
                "  </programme>\n"
            )
    parts.append("</tv>\n")
    return "".join(parts).encode()


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def short_epg(
    cat: XtreamCatalog, i: int, limit: int | None, now: float, *, table: bool = False
) -> dict[str, Any]:
    """get_short_epg (upcoming, `limit` entries) or get_simple_data_table (all entries)."""
    epg = cat.epg_id(i)
    if epg is None:
        return {"epg_listings": []}
    listings: list[dict[str, Any]] = []
    zone = ZoneInfo(cat.config.timezone)  # panels print local times next to unix stamps
    for k, (start, stop, title, desc) in enumerate(programmes(cat, i)):
        if not table and stop <= now:
            continue
        fmt = "%Y-%m-%d %H:%M:%S"
        item: dict[str, Any] = {
            "id": str(900_000 + i * 100 + k),
            "epg_id": str(i),
            "title": _b64(title),
            "lang": "de",
            "start": datetime.fromtimestamp(start, zone).strftime(fmt),
            "end": datetime.fromtimestamp(stop, zone).strftime(fmt),
            "description": _b64(desc),
            "channel_id": epg,
            "start_timestamp": str(start),
            "stop_timestamp": str(stop),
        }
        if table:
            item["now_playing"] = 1 if start <= now < stop else 0
            item["has_archive"] = 0
        listings.append(item)
        if limit is not None and len(listings) >= limit:
            break
    return {"epg_listings": listings}
