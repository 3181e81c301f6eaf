"""Listing entries to `ItemRecord`s: titles cleaned, years found, types normalised.

Panels decorate names ("Title (2010)", "Title | 2006 | 5.7") and leave fields empty; the
record gets a clean title and the year, rating, genres and ids wherever the panel hid them.
Stream info holds only the container extension: credentials are added when a URL is built.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TypeVar

from reel.sources.records import ItemRecord
from reel.sources.xtream import parse
from reel.sources.xtream.parse import LiveStream, Series, VodStream

T = TypeVar("T", LiveStream, VodStream, Series)

_YEAR_PAREN = re.compile(r"\s*[\(\[]((?:19|20)\d\d)[\)\]]\s*$")
_YEAR_PIPES = re.compile(r"\s*\|\s*((?:19|20)\d\d)\s*(?:\|[^|]*)?$")
_YEAR_DATE = re.compile(r"^\s*((?:19|20)\d\d)")
# "DE - Heat", "EN: Heat", "|FR| Heat": a language tag, not part of the title
_LANG_PREFIX = re.compile(r"^(?:[A-Z]{2,3}\s*[-:]|\|[A-Z]{2,3}\|)\s+(?=\S)")
_GENRE_SEP = re.compile(r"[,/|]")
# Bound once: the converters below run per entry, 100k times in a big listing.
_text = parse.text
_ident = parse.ident
_to_int = parse.to_int
_unix_time = parse.unix_time


def split_year(name: str) -> tuple[str, int | None]:
    """'DE - Heat (1995)' -> ('Heat', 1995); 'Heat | 1995 | 7.9' -> ('Heat', 1995)."""
    first = name[:1]
    if first == "|" or "A" <= first <= "Z":  # the only ways a language tag can start
        name = _LANG_PREFIX.sub("", name, count=1)
    # both patterns need a "|" or a closing bracket at the end: most names have neither
    if "|" not in name and not name.rstrip().endswith((")", "]")):
        return name, None
    for pattern in (_YEAR_PAREN, _YEAR_PIPES):
        match = pattern.search(name)
        if match and match.start() > 0:
            return name[: match.start()].strip(), int(match.group(1))
    return name, None


def year_from(*values: object) -> int | None:
    for value in values:
        if value is None:  # most panels leave year fields empty: skip the parsing
            continue
        if isinstance(value, int) and not isinstance(value, bool) and 1870 < value < 2100:
            return value
        found = _YEAR_DATE.match(parse.text(value) or "")
        if found:
            return int(found.group(1))
    return None


def genres(value: object) -> list[str]:
    if value is None:
        return []
    raw = _text(value)
    if raw is None:
        return []
    return [g.strip() for g in _GENRE_SEP.split(raw) if g.strip()]


def rating(value: object) -> float | None:
    """Panels use 0 or "" for unknown; ratings are on a 0-10 scale."""
    if value is None or value == "":
        return None
    number = parse.to_float(value)
    return number if number is not None and 0 < number <= 10 else None


def tmdb_ids(*values: object) -> dict[str, str]:
    for value in values:
        if value is None or value == "":
            continue
        found = _ident(value)
        if found and found.isdigit() and found != "0":
            return {"tmdb": found}
    return {}


def category(entry: LiveStream | VodStream | Series, known: set[str]) -> str | None:
    """The first category the entry names that the panel also listed."""
    first = _ident(entry.category_id)
    if first is not None and first in known:
        return first
    ids = entry.category_ids
    if ids is None:
        return None
    if not isinstance(ids, list):
        single = _ident(ids)
        return single if single in known else None
    for value in ids:  # stop at the first known one: some panels list dozens
        found = _ident(value)
        if found is not None and found in known:
            return found
    return None


def dedupe(entries: Iterable[T], key: str) -> list[T]:
    """Panels list some streams twice; the first one wins, entries without an id go."""
    seen: set[str] = set()
    out: list[T] = []
    for entry in entries:
        remote_id = parse.ident(getattr(entry, key))
        if remote_id is None or remote_id in seen:
            continue
        seen.add(remote_id)
        out.append(entry)
    return out


def channel(entry: LiveStream, known: set[str]) -> ItemRecord:
    remote_id = _ident(entry.stream_id) or ""
    number = _to_int(entry.num)
    icon = _text(entry.stream_icon)
    extra: dict[str, object] = {}
    archive = _to_int(entry.tv_archive)
    if archive:
        extra["tv_archive"] = archive
        extra["tv_archive_duration"] = _to_int(entry.tv_archive_duration) or 0
    if _text(entry.stream_type) == "radio_streams":
        extra["radio"] = True
    return ItemRecord(
        remote_id=remote_id,
        type="channel",
        title=_text(entry.name) or f"Channel {number if number else remote_id}",
        library_remote_id="live",
        category_remote_id=category(entry, known),
        channel_number=number,
        epg_id=_text(entry.epg_channel_id),
        added_at=_unix_time(entry.added),
        artwork={"poster": icon} if icon else {},
        extra=extra,
    )


def movie(entry: VodStream, known: set[str]) -> ItemRecord:
    # None checks inline: most of these fields are empty on most panels
    remote_id = _ident(entry.stream_id) or ""
    value = entry.name
    name = (_text(value) or "") if value is not None else ""
    cleaned, name_year = split_year(name)
    value = entry.title
    title = (_text(value) if value is not None else None) or cleaned or f"Movie {remote_id}"
    icon = entry.stream_icon
    if icon is not None:
        icon = _text(icon)
    value = entry.episode_run_time
    minutes = _to_int(value) if value is not None else None
    value = entry.plot
    ext = entry.container_extension
    year = entry.year
    return ItemRecord(
        remote_id=remote_id,
        type="movie",
        title=title,
        library_remote_id="vod",
        category_remote_id=category(entry, known),
        year=(year_from(year) if year is not None else None)
        or name_year
        or year_from(entry.release_date or entry.release_date_camel),
        overview=_text(value) if value is not None else None,
        duration_ms=minutes * 60_000 if minutes and minutes > 0 else None,
        rating=rating(entry.rating),
        genres=genres(entry.genre),
        added_at=_unix_time(entry.added),
        artwork={"poster": icon} if icon else {},
        ids=tmdb_ids(entry.tmdb, entry.tmdb_id),
        stream={"ext": ((_text(ext) if ext is not None else None) or "mp4").lstrip(".")},
        extra={"name": name} if name and name != title else {},
    )


def show(entry: Series, known: set[str]) -> ItemRecord:
    remote_id = _ident(entry.series_id) or ""
    name = _text(entry.name) or ""
    cleaned, name_year = split_year(name)
    title = _text(entry.title) or cleaned or f"Series {remote_id}"
    release = entry.release_date or entry.release_date_camel
    artwork: dict[str, str] = {}
    cover = _text(entry.cover)
    if cover:
        artwork["poster"] = cover
    backdrops = (
        entry.backdrop_path if isinstance(entry.backdrop_path, list) else [entry.backdrop_path]
    )
    backdrop = next((b for b in (_text(x) for x in backdrops) if b), None)
    if backdrop:
        artwork["backdrop"] = backdrop
    modified = _unix_time(entry.last_modified)
    extra: dict[str, object] = {"name": name} if name and name != title else {}
    if modified is not None:
        extra["last_modified"] = str(int(modified.timestamp()))
    return ItemRecord(
        remote_id=remote_id,
        type="show",
        title=title,
        library_remote_id="series",
        category_remote_id=category(entry, known),
        year=year_from(entry.year) or name_year or year_from(release),
        overview=_text(entry.plot),
        rating=rating(entry.rating),
        genres=genres(entry.genre),
        updated_at=modified,
        artwork=artwork,
        ids=tmdb_ids(entry.tmdb, entry.tmdb_id),
        extra=extra,
    )
