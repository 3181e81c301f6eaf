"""The JSON objects a panel sends, shaped like the captured responses of a real provider.

Field names and types follow shared/reference/xtream/captures and the XC API write-up;
with `quirks` on, types wobble the way real panels' do (ids and numbers as strings, null or
empty `category_id`, `info: []`, episodes keyed by season or as lists).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from reel.testing.fakes.xtream.catalog import XtreamCatalog
from reel.testing.fakes.xtream.names import genres, mix


def _date(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


def live_entry(cat: XtreamCatalog, i: int) -> dict[str, Any]:
    quirks = cat.config.quirks
    sid = cat.stream_id("live", i)
    archive = 1 if i % 7 == 0 else 0
    return {
        "num": str(i + 1) if quirks and i % 37 == 11 else i + 1,
        "name": cat.live_name(i),
        "stream_type": "radio_streams" if quirks and i % 41 == 9 else "live",
        "stream_id": str(sid) if quirks and i % 31 == 3 else sid,
        "stream_icon": cat.image("live", sid),
        "epg_channel_id": cat.epg_id(i),
        "added": str(cat.added("live", i)),
        "category_id": cat._category_field("live", i),
        "custom_sid": "",
        "tv_archive": archive,
        "direct_source": "",
        "tv_archive_duration": ("3" if quirks else 3) if archive else 0,
    }


def vod_entry(cat: XtreamCatalog, i: int) -> dict[str, Any]:
    quirks = cat.config.quirks
    sid = cat.stream_id("vod", i)
    category = cat._category_field("vod", i)
    rating = cat.rating_value("vod", i)
    tmdb = cat.tmdb_id("vod", i)
    added = cat.added("vod", i)
    entry: dict[str, Any] = {
        "num": i + 1,
        "name": cat.vod_name(i),
        "stream_type": "movie",
        "stream_id": str(sid) if quirks and i % 33 == 2 else sid,
        "stream_icon": cat.image("vod", sid),
        "rating": cat.rating_field("vod", i),
        "rating_5based": round(rating / 2, 1),
        "tmdb": "" if tmdb is None else str(tmdb),
        "added": added if quirks and i % 2 else str(added),
        "is_adult": 0,
        "category_id": category,
        "category_ids": [int(cat.category_of("vod", i))],
        "container_extension": cat.extension("vod", i),
        "custom_sid": None if quirks and i % 9 == 4 else "",
        "direct_source": "",
    }
    if quirks and i % 4 == 3:  # newer panels add title/year next to the decorated name
        entry["title"] = cat.base_title("vod", i)
        entry["year"] = str(cat.year("vod", i))
    return entry


def _series_info_fields(cat: XtreamCatalog, i: int) -> dict[str, Any]:
    quirks = cat.config.quirks
    year = cat.year("series", i)
    release = f"{year}-0{1 + i % 9}-1{i % 10}"
    rating = cat.rating_value("series", i)
    info: dict[str, Any] = {
        "name": cat.series_name(i),
        "cover": cat.image("series", cat.stream_id("series", i)),
        "plot": f"Plot of {cat.base_title('series', i)}: a story with ümlauts & <brackets>.",
        "cast": "Emily Beecham, Aneurin Barnard",
        "director": "" if i % 2 else "Baran bo Odar",
        "genre": genres(i, cat.config.seed, 3),
        "releaseDate": release,
        "last_modified": str(cat.last_modified(i)),
        "rating": cat.rating_field("series", i),
        "rating_5based": round(rating / 2, 1),
        "backdrop_path": [] if i % 3 == 0 else [cat.image("backdrop", cat.stream_id("series", i))],
        "youtube_trailer": None if quirks and i % 2 else "",
        "episode_run_time": "45" if quirks and i % 2 else 45,
        "category_id": cat._category_field("series", i),
    }
    if quirks and i % 5 == 2:
        info["release_date"] = info.pop("releaseDate")
    return info


def series_entry(cat: XtreamCatalog, i: int) -> dict[str, Any]:
    entry: dict[str, Any] = {"num": i + 1}
    entry.update(_series_info_fields(cat, i))
    sid = cat.stream_id("series", i)
    entry["series_id"] = str(sid) if cat.config.quirks and i % 19 == 4 else sid
    entry["category_ids"] = [int(cat.category_of("series", i))]
    tmdb = cat.tmdb_id("series", i)
    entry["tmdb"] = "" if tmdb is None else str(tmdb)
    return entry


def _episode(cat: XtreamCatalog, i: int, season: int, number: int) -> dict[str, Any]:
    quirks = cat.config.quirks
    added = cat.last_modified(i) - 100 + season * 10 + number
    duration = 2400 + mix(number, i, season) % 1200
    info: Any = {
        "tmdb_id": 1_000_000 + i * 100 + season * 10 + number,
        "releasedate": _date(added),
        "plot": f"Episode {number} of season {season}.",
        "duration_secs": duration,
        "duration": f"00:{duration // 60:02d}:{duration % 60:02d}",
        "movie_image": cat.image("episode", cat.episode_id(i, season, number)),
        "bitrate": 2470,
        "rating": "7.5" if number % 2 else 7.5,
        "season": str(season),
    }
    if quirks and number == 2 and i % 3 == 0:
        info = []
    name = cat.series_name(i) or "Untitled"
    return {
        "id": str(cat.episode_id(i, season, number)),
        "episode_num": str(number) if quirks and i % 2 else number,
        "title": f"{name} - S{season:02d}E{number:02d} - {cat.episode_title(i, season, number)}",
        "container_extension": cat.extension("series", i * 31 + number),
        "info": info,
        "custom_sid": "",
        "added": str(added),
        "season": str(season) if quirks and i % 3 == 1 else season,
        "direct_source": "",
    }


def series_info(cat: XtreamCatalog, i: int) -> dict[str, Any]:
    """get_series_info for a present series."""
    cfg = cat.config
    layout = cat.episodes_layout(i)
    per_season = [
        [_episode(cat, i, s, n) for n in range(1, cat.episode_count(i, s) + 1)]
        for s in range(1, cfg.seasons + 1)
    ]
    episodes: Any
    if layout == "none":
        episodes, seasons_listed = [], 0
    elif layout == "lists":
        episodes, seasons_listed = per_season, cfg.seasons
    elif layout == "flat":
        episodes, seasons_listed = [e for eps in per_season for e in eps], cfg.seasons
    else:
        episodes = {str(s + 1): eps for s, eps in enumerate(per_season)}
        seasons_listed = cfg.seasons
    if cfg.quirks and i % 7 == 3:
        seasons_listed = 0  # panels often send `seasons: []` next to full episodes
    seasons = [
        {
            "air_date": f"{cat.year('series', i) + s - 1}-01-15",
            "episode_count": cat.episode_count(i, s),
            "id": 100_000 + i * 100 + s,
            "name": f"Staffel {s}" if i % 2 else f"Season {s}",
            "overview": f"Season {s} overview.",
            "season_number": s,
            "cover": cat.image("season", 100_000 + i * 100 + s),
            "cover_big": cat.image("season", 100_000 + i * 100 + s),
        }
        for s in range(1, seasons_listed + 1)
    ]
    info: Any = _series_info_fields(cat, i)
    if cfg.quirks and i % 19 == 2:
        info = []
    return {"seasons": seasons, "info": info, "episodes": episodes}


def vod_info(cat: XtreamCatalog, i: int) -> dict[str, Any]:
    """get_vod_info for a present film (TMDB metadata + a trimmed ffprobe block)."""
    entry = vod_entry(cat, i)
    tmdb = cat.tmdb_id("vod", i)
    duration = 5400 + mix(i, cat.config.seed, 99) % 3600
    year = cat.year("vod", i)
    return {
        "info": {
            "tmdb_url": f"https://www.themoviedb.org/movie/{tmdb}" if tmdb else "",
            "tmdb_id": "" if tmdb is None else str(tmdb),
            "name": entry["name"],
            "o_name": entry["name"],
            "cover_big": entry["stream_icon"],
            "movie_image": entry["stream_icon"],
            "releasedate": f"{year}-04-21",
            "episode_run_time": str(duration // 60),
            "youtube_trailer": "",
            "director": "Mustan Burmawalla, Abbas Burmawalla",
            "actors": "Akshaye Khanna, Shahid Kapoor",
            "cast": "Akshaye Khanna, Shahid Kapoor",
            "description": f"Description of {cat.base_title('vod', i)}.",
            "plot": f"Plot of {cat.base_title('vod', i)}.",
            "age": "",
            "mpaa_rating": "",
            "rating_count_kinopoisk": 0,
            "country": "India",
            "genre": genres(i, cat.config.seed, 2),
            "backdrop_path": [cat.image("backdrop", cat.stream_id("vod", i))],
            "duration_secs": duration,
            "duration": f"{duration // 3600:02d}:{duration % 3600 // 60:02d}:{duration % 60:02d}",
            "video": {"index": 0, "codec_name": "h264", "width": 160, "height": 90},
            "audio": {"index": 1, "codec_name": "aac", "channels": 2},
            "bitrate": 2470,
            "rating": f"{cat.rating_value('vod', i):.3f}",
            "imdb_id": f"tt{1_000_000 + i}",
        },
        "movie_data": {
            "stream_id": cat.stream_id("vod", i),
            "name": entry["name"],
            "added": str(cat.added("vod", i)),
            "category_id": cat.category_of("vod", i),
            "container_extension": entry["container_extension"],
            "custom_sid": "",
            "direct_source": "",
        },
    }
