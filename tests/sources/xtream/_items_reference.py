"""Frozen copy of items.py (and parse.py's scalar helpers) before the speed work.

The equivalence test checks the optimised code against it. Do not optimise or "fix" this
file: it defines the output items.py must keep producing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import TypeVar

from reel.sources.records import ItemRecord
from reel.sources.xtream.parse import LiveStream, Series, VodStream

T = TypeVar("T", LiveStream, VodStream, Series)
_MAX_UNIX = 4_102_444_800


# ---- frozen copy of parse.py's scalar normalisation: it is part of the conversion ----
def text(value: object) -> str | None:
    """A stripped, non-empty string, or None."""
    kind = type(value)
    if kind is str:  # the common case first: these run a dozen times per entry
        result: str = value.strip()  # type: ignore[attr-defined]
        return result or None
    if kind is int:
        return str(value)
    if kind is float:
        number: float = value  # type: ignore[assignment]
        if not math.isfinite(number):
            return None
        return str(int(number)) if number.is_integer() else str(number)
    return None


def ident(value: object) -> str | None:
    """An id as a string: 123, "123", " 0123" and 123.0 all give "123"."""
    if type(value) is int:
        return str(value)
    result = text(value)
    if result is not None and result.isascii() and result.isdigit() and result[0] == "0":
        return str(int(result))
    return result


def to_int(value: object) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    number = to_float(value)
    return int(number) if number is not None else None


def to_float(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip().replace(",", "."))
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def unix_time(value: object) -> datetime | None:
    """Panels send unix times as ints or digit strings; 0, junk and far futures mean unknown."""
    stamp = to_int(value)
    if stamp is None or stamp <= 0 or stamp > _MAX_UNIX:
        return None
    return datetime.fromtimestamp(stamp, UTC)


parse = SimpleNamespace(
    text=text, ident=ident, to_int=to_int, to_float=to_float, unix_time=unix_time
)

_YEAR_PAREN = re.compile(r"\s*[\(\[]((?:19|20)\d\d)[\)\]]\s*$")
_YEAR_PIPES = re.compile(r"\s*\|\s*((?:19|20)\d\d)\s*(?:\|[^|]*)?$")
_YEAR_DATE = re.compile(r"^\s*((?:19|20)\d\d)")
# "DE - Heat", "EN: Heat", "|FR| Heat": a language tag, not part of the title
_LANG_PREFIX = re.compile(r"^(?:[A-Z]{2,3}\s*[-:]|\|[A-Z]{2,3}\|)\s+(?=\S)")


def split_year(name: str) -> tuple[str, int | None]:
    """'DE - Heat (1995)' -> ('Heat', 1995); 'Heat | 1995 | 7.9' -> ('Heat', 1995)."""
    name = _LANG_PREFIX.sub("", name, count=1)
    for pattern in (_YEAR_PAREN, _YEAR_PIPES):
        match = pattern.search(name)
        if match and match.start() > 0:
            return name[: match.start()].strip(), int(match.group(1))
    return name, None


def year_from(*values: object) -> int | None:
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool) and 1870 < value < 2100:
            return value
        found = _YEAR_DATE.match(parse.text(value) or "")
        if found:
            return int(found.group(1))
    return None


def genres(value: object) -> list[str]:
    raw = parse.text(value)
    if raw is None:
        return []
    return [g.strip() for g in re.split(r"[,/|]", raw) if g.strip()]


def rating(value: object) -> float | None:
    """Panels use 0 or "" for unknown; ratings are on a 0-10 scale."""
    number = parse.to_float(value)
    return number if number is not None and 0 < number <= 10 else None


def tmdb_ids(*values: object) -> dict[str, str]:
    for value in values:
        found = parse.ident(value)
        if found and found.isdigit() and found != "0":
            return {"tmdb": found}
    return {}


def category(entry: LiveStream | VodStream | Series, known: set[str]) -> str | None:
    """The first category the entry names that the panel also listed."""
    first = parse.ident(entry.category_id)
    if first is not None and first in known:
        return first
    ids = entry.category_ids
    if ids is None:
        return None
    if not isinstance(ids, list):
        single = parse.ident(ids)
        return single if single in known else None
    for value in ids:  # stop at the first known one: some panels list dozens
        found = parse.ident(value)
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
    remote_id = parse.ident(entry.stream_id) or ""
    number = parse.to_int(entry.num)
    icon = parse.text(entry.stream_icon)
    extra: dict[str, object] = {}
    archive = parse.to_int(entry.tv_archive)
    if archive:
        extra["tv_archive"] = archive
        extra["tv_archive_duration"] = parse.to_int(entry.tv_archive_duration) or 0
    if parse.text(entry.stream_type) == "radio_streams":
        extra["radio"] = True
    return ItemRecord(
        remote_id=remote_id,
        type="channel",
        title=parse.text(entry.name) or f"Channel {number if number else remote_id}",
        library_remote_id="live",
        category_remote_id=category(entry, known),
        channel_number=number,
        epg_id=parse.text(entry.epg_channel_id),
        added_at=parse.unix_time(entry.added),
        artwork={"poster": icon} if icon else {},
        extra=extra,
    )


def movie(entry: VodStream, known: set[str]) -> ItemRecord:
    remote_id = parse.ident(entry.stream_id) or ""
    name = parse.text(entry.name) or ""
    cleaned, name_year = split_year(name)
    title = parse.text(entry.title) or cleaned or f"Movie {remote_id}"
    release = entry.release_date or entry.release_date_camel
    icon = parse.text(entry.stream_icon)
    minutes = parse.to_int(entry.episode_run_time)
    return ItemRecord(
        remote_id=remote_id,
        type="movie",
        title=title,
        library_remote_id="vod",
        category_remote_id=category(entry, known),
        year=year_from(entry.year) or name_year or year_from(release),
        overview=parse.text(entry.plot),
        duration_ms=minutes * 60_000 if minutes and minutes > 0 else None,
        rating=rating(entry.rating),
        genres=genres(entry.genre),
        added_at=parse.unix_time(entry.added),
        artwork={"poster": icon} if icon else {},
        ids=tmdb_ids(entry.tmdb, entry.tmdb_id),
        stream={"ext": (parse.text(entry.container_extension) or "mp4").lstrip(".")},
        extra={"name": name} if name and name != title else {},
    )


def show(entry: Series, known: set[str]) -> ItemRecord:
    remote_id = parse.ident(entry.series_id) or ""
    name = parse.text(entry.name) or ""
    cleaned, name_year = split_year(name)
    title = parse.text(entry.title) or cleaned or f"Series {remote_id}"
    release = entry.release_date or entry.release_date_camel
    artwork: dict[str, str] = {}
    cover = parse.text(entry.cover)
    if cover:
        artwork["poster"] = cover
    backdrops = (
        entry.backdrop_path if isinstance(entry.backdrop_path, list) else [entry.backdrop_path]
    )
    backdrop = next((b for b in (parse.text(x) for x in backdrops) if b), None)
    if backdrop:
        artwork["backdrop"] = backdrop
    modified = parse.unix_time(entry.last_modified)
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
        overview=parse.text(entry.plot),
        rating=rating(entry.rating),
        genres=genres(entry.genre),
        updated_at=modified,
        artwork=artwork,
        ids=tmdb_ids(entry.tmdb, entry.tmdb_id),
        extra=extra,
    )
