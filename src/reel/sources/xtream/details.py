"""Per-item answers: get_series_info (seasons, episodes), get_vod_info, get_short_epg.

`episodes` is the wildest field panels send: an object keyed by season number, a list of
per-season lists (PHP turns a 0-based season array into a JSON list), one flat list, or
`[]`. Every episode carries its own `season` on good panels; the key or position is the
fallback. Seasons become items only when they hold episodes.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from reel.sources.records import ItemRecord, ListingPage, ProgrammeRecord
from reel.sources.xtream import parse
from reel.sources.xtream.items import genres, rating, split_year, tmdb_ids, year_from
from reel.sources.xtream.parse import Scalar


class EpisodeInfo(msgspec.Struct):
    plot: Scalar = None
    duration_secs: Scalar = None
    movie_image: Scalar = None
    rating: Scalar = None
    tmdb_id: Scalar = None
    releasedate: Scalar = None
    release_date: Scalar = None


class Episode(msgspec.Struct):
    id: Scalar
    episode_num: Scalar = None
    title: Scalar = None
    container_extension: Scalar = None
    info: EpisodeInfo | list[Any] | Scalar = None
    added: Scalar = None
    season: Scalar = None


class Season(msgspec.Struct):
    season_number: Scalar = None
    name: Scalar = None
    overview: Scalar = None
    air_date: Scalar = None
    cover: Scalar = None
    cover_big: Scalar = None


def season_id(series_id: str, number: int) -> str:
    return f"{series_id}:s{number}"


def _flatten(episodes: object) -> list[tuple[int | None, object]]:
    """(season hint, raw episode) pairs from whichever shape the panel chose."""
    pairs: list[tuple[int | None, object]] = []
    if isinstance(episodes, dict):
        for key, value in episodes.items():
            hint = parse.to_int(key)
            for raw in value if isinstance(value, list) else [value]:
                pairs.append((hint, raw))
    elif isinstance(episodes, list):
        for position, value in enumerate(episodes):
            if isinstance(value, list):  # list of per-season lists; position is 0-based
                pairs.extend((position + 1, raw) for raw in value)
            else:
                pairs.append((None, value))
    return pairs


def _episode_record(series_id: str, hint: int | None, ep: Episode, index: int) -> ItemRecord | None:
    remote_id = parse.ident(ep.id)
    if remote_id is None:
        return None
    season = parse.to_int(ep.season)
    season = season if season is not None and season >= 0 else (hint if hint is not None else 1)
    number = parse.to_int(ep.episode_num)
    info = ep.info if isinstance(ep.info, EpisodeInfo) else EpisodeInfo()
    seconds = parse.to_int(info.duration_secs)
    image = parse.text(info.movie_image)
    return ItemRecord(
        remote_id=remote_id,
        type="episode",
        title=parse.text(ep.title) or f"Episode {number if number is not None else index + 1}",
        library_remote_id="series",
        parent_remote_id=season_id(series_id, season),
        season=season,
        episode=number if number is not None and number >= 0 else None,
        overview=parse.text(info.plot),
        duration_ms=seconds * 1000 if seconds and seconds > 0 else None,
        rating=rating(info.rating),
        year=year_from(info.releasedate, info.release_date),
        added_at=parse.unix_time(ep.added),
        artwork={"thumb": image} if image else {},
        ids=tmdb_ids(info.tmdb_id),
        stream={"ext": (parse.text(ep.container_extension) or "mp4").lstrip(".")},
    )


def series_page(series_id: str, data: object) -> tuple[ListingPage, str | None]:
    """Seasons and episodes of one series, and its `last_modified` when the panel says."""
    if not isinstance(data, dict):  # unknown series: `[]`
        return ListingPage(), None
    seasons: dict[int, Season] = {}
    listed = data.get("seasons")
    for raw in listed if isinstance(listed, list) else []:
        season = parse.convert(raw, Season)
        number = parse.to_int(season.season_number) if season else None
        if season is not None and number is not None:
            seasons[number] = season
    episodes: list[ItemRecord] = []
    seen: set[str] = set()
    for index, (hint, raw) in enumerate(_flatten(data.get("episodes"))):
        ep = parse.convert(raw, Episode)
        record = _episode_record(series_id, hint, ep, index) if ep else None
        if record is not None and record.remote_id not in seen:
            seen.add(record.remote_id)
            episodes.append(record)
    season_items = []
    for number in sorted({e.season for e in episodes if e.season is not None}):
        meta = seasons.get(number, Season())
        cover = parse.text(meta.cover_big) or parse.text(meta.cover)
        season_items.append(
            ItemRecord(
                remote_id=season_id(series_id, number),
                type="season",
                title=parse.text(meta.name) or ("Specials" if number == 0 else f"Season {number}"),
                library_remote_id="series",
                parent_remote_id=series_id,
                season=number,
                overview=parse.text(meta.overview),
                year=year_from(meta.air_date),
                artwork={"poster": cover} if cover else {},
            )
        )
    info = data.get("info")
    modified = parse.unix_time(info.get("last_modified")) if isinstance(info, dict) else None
    stamp = str(int(modified.timestamp())) if modified else None
    return ListingPage(items=season_items + episodes), stamp


def vod_record(vod_id: str, data: object) -> ItemRecord | None:
    """get_vod_info as a movie record with the details listings lack; None if unknown."""
    if not isinstance(data, dict) or not isinstance(data.get("info"), dict) or not data["info"]:
        return None
    info: dict[str, Any] = data["info"]
    movie_data = data.get("movie_data")
    movie: dict[str, Any] = movie_data if isinstance(movie_data, dict) else {}
    name = parse.text(info.get("name")) or parse.text(movie.get("name")) or f"Movie {vod_id}"
    title, name_year = split_year(name)
    seconds = parse.to_int(info.get("duration_secs"))
    ids = tmdb_ids(info.get("tmdb_id"), info.get("tmdb"))
    imdb = parse.text(info.get("imdb_id"))
    if imdb and imdb.startswith("tt"):
        ids["imdb"] = imdb
    artwork: dict[str, str] = {}
    poster = parse.text(info.get("movie_image")) or parse.text(info.get("cover_big"))
    if poster:
        artwork["poster"] = poster
    backdrops = info.get("backdrop_path")
    if isinstance(backdrops, list) and backdrops and parse.text(backdrops[0]):
        artwork["backdrop"] = str(parse.text(backdrops[0]))
    extra: dict[str, object] = {
        k: v for k in ("cast", "director", "country") if (v := parse.text(info.get(k)))
    }
    return ItemRecord(
        remote_id=vod_id,
        type="movie",
        title=title,
        original_title=parse.text(info.get("o_name")),
        library_remote_id="vod",
        year=year_from(info.get("releasedate"), info.get("release_date")) or name_year,
        overview=parse.text(info.get("plot")) or parse.text(info.get("description")),
        duration_ms=seconds * 1000 if seconds and seconds > 0 else None,
        rating=rating(info.get("rating")),
        genres=genres(info.get("genre")),
        added_at=parse.unix_time(movie.get("added")),
        artwork=artwork,
        ids=ids,
        stream={"ext": (parse.text(movie.get("container_extension")) or "mp4").lstrip(".")},
        extra=extra,
    )


def _b64text(value: object) -> str | None:
    raw = parse.text(value)
    if raw is None:
        return None
    try:
        return (
            base64.b64decode(raw, validate=True).decode("utf-8", errors="replace").strip() or None
        )
    except (binascii.Error, ValueError):
        return raw  # some panels send plain text


def _local_time(value: object, zone: ZoneInfo) -> datetime | None:
    raw = parse.text(value)
    if raw is None:
        return None
    try:
        parsed = datetime.strptime(raw, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    return parsed.replace(tzinfo=zone).astimezone(UTC)


def short_epg(data: object, fallback_key: str, timezone: str | None) -> list[ProgrammeRecord]:
    """get_short_epg entries: base64 titles decoded, unix stamps preferred over local times."""
    listings = data.get("epg_listings") if isinstance(data, dict) else None
    try:
        zone = ZoneInfo(timezone) if timezone else ZoneInfo("UTC")
    except (ValueError, KeyError, OSError):
        zone = ZoneInfo("UTC")
    out: list[ProgrammeRecord] = []
    for entry in listings if isinstance(listings, list) else []:
        if not isinstance(entry, dict):
            continue
        start = parse.unix_time(entry.get("start_timestamp")) or _local_time(
            entry.get("start"), zone
        )
        stop = parse.unix_time(entry.get("stop_timestamp")) or _local_time(entry.get("end"), zone)
        if start is None or stop is None or stop <= start:
            continue
        out.append(
            ProgrammeRecord(
                channel_key=parse.text(entry.get("channel_id")) or fallback_key,
                start=start,
                stop=stop,
                title=_b64text(entry.get("title")) or "",
                description=_b64text(entry.get("description")),
            )
        )
    return out
