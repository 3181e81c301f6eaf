"""TMDB v3 response bodies built from the `titles` world, field for field as TMDB sends them.

Quirks kept on purpose: `release_date` is "" for undated films, `poster_path` may be
null, movie alternative titles sit under `titles` while tv ones sit under `results`.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from typing import Any

from reel.testing.titles import MOVIE_GENRES, TV_GENRES, Movie, Show


def image_path(seed: str, prefix: str) -> str:
    return f"/{prefix}{hashlib.sha1(seed.encode()).hexdigest()[:24]}.jpg"


def movie_result(m: Movie) -> dict[str, Any]:
    return {
        "adult": False,
        "backdrop_path": image_path(f"b{m.id}", ""),
        "genre_ids": list(m.genre_ids),
        "id": m.id,
        "original_language": m.original_language,
        "original_title": m.original_title,
        "overview": f"{m.title} is a film about a {m.title.split()[-1].lower()}.",
        "popularity": m.popularity,
        "poster_path": image_path(f"p{m.id}", "") if m.id % 17 else None,
        "release_date": m.release_date,
        "title": m.title,
        "video": False,
        "vote_average": m.vote_average,
        "vote_count": int(m.popularity * 37),
    }


def tv_result(s: Show) -> dict[str, Any]:
    return {
        "adult": False,
        "backdrop_path": image_path(f"tb{s.id}", ""),
        "genre_ids": list(s.genre_ids),
        "id": s.id,
        "origin_country": ["JP"] if s.original_language == "ja" else ["US"],
        "original_language": s.original_language,
        "original_name": s.original_name,
        "overview": f"The story of {s.name}.",
        "popularity": s.popularity,
        "poster_path": image_path(f"tp{s.id}", ""),
        "first_air_date": s.first_air_date,
        "name": s.name,
        "vote_average": 7.1,
        "vote_count": int(s.popularity * 11),
    }


def _credits(seed: int) -> dict[str, Any]:
    cast = [
        {
            "adult": False,
            "gender": 1 + (seed + i) % 2,
            "id": 5000 + (seed * 7 + i) % 9000,
            "known_for_department": "Acting",
            "name": f"Actor {(seed * 7 + i) % 9000}",
            "original_name": f"Actor {(seed * 7 + i) % 9000}",
            "popularity": 3.2,
            "profile_path": image_path(f"a{seed}{i}", ""),
            "cast_id": i + 1,
            "character": f"Character {i + 1}",
            "credit_id": f"{seed:012x}{i:012x}",
            "order": i,
        }
        for i in range(4)
    ]
    crew = [
        {
            "adult": False,
            "gender": 2,
            "id": 90000 + seed % 5000,
            "known_for_department": "Directing",
            "name": f"Director {seed % 5000}",
            "original_name": f"Director {seed % 5000}",
            "popularity": 2.0,
            "profile_path": None,
            "credit_id": f"{seed:012x}d",
            "department": "Directing",
            "job": "Director",
        }
    ]
    return {"cast": cast, "crew": crew}


def _images(seed: str) -> dict[str, Any]:
    def img(kind: str, w: int, h: int) -> dict[str, Any]:
        return {
            "aspect_ratio": round(w / h, 3),
            "height": h,
            "iso_639_1": "en" if kind == "p" else None,
            "file_path": image_path(seed + kind, ""),
            "vote_average": 5.3,
            "vote_count": 4,
            "width": w,
        }

    return {"backdrops": [img("b", 1920, 1080)], "logos": [], "posters": [img("p", 1000, 1500)]}


def movie_details(m: Movie, append: set[str]) -> dict[str, Any]:
    body = movie_result(m)
    del body["genre_ids"]
    body.update(
        {
            "belongs_to_collection": None,
            "budget": 0,
            "homepage": "",
            "genres": [{"id": g, "name": MOVIE_GENRES[g]} for g in m.genre_ids],
            "imdb_id": m.imdb_id,
            "origin_country": ["US"],
            "production_companies": [],
            "production_countries": [],
            "revenue": 0,
            "runtime": m.runtime,
            "spoken_languages": [],
            "status": "Released" if m.release_date else "Planned",
            "tagline": "",
            "title": m.title,
        }
    )
    if "credits" in append:
        body["credits"] = _credits(m.id)
    if "images" in append:
        body["images"] = _images(f"m{m.id}")
    if "external_ids" in append:
        body["external_ids"] = {
            "imdb_id": m.imdb_id,
            "wikidata_id": None,
            "facebook_id": None,
            "instagram_id": None,
            "twitter_id": None,
        }
    if "release_dates" in append:
        body["release_dates"] = {
            "results": []
            if not m.release_date
            else [
                {
                    "iso_3166_1": "US",
                    "release_dates": [
                        {
                            "certification": m.certification,
                            "descriptors": [],
                            "iso_639_1": "",
                            "note": "",
                            "release_date": f"{m.release_date}T00:00:00.000Z",
                            "type": 3,
                        }
                    ],
                }
            ]
        }
    if "alternative_titles" in append:
        body["alternative_titles"] = {
            "id": m.id,
            "titles": [{"iso_3166_1": "US", "title": t, "type": ""} for t in m.alt_titles],
        }
    return body


def tv_details(s: Show, append: set[str]) -> dict[str, Any]:
    body = tv_result(s)
    del body["genre_ids"]
    regular = [x for x in s.seasons if x.number > 0]
    body.update(
        {
            "created_by": [],
            "episode_run_time": [s.seasons[-1].episodes[0].runtime],
            "genres": [{"id": g, "name": TV_GENRES[g]} for g in s.genre_ids],
            "homepage": "",
            "in_production": False,
            "languages": [s.original_language],
            "last_air_date": s.seasons[-1].episodes[-1].air_date,
            "number_of_episodes": sum(len(x.episodes) for x in regular),
            "number_of_seasons": len(regular),
            "status": "Ended",
            "tagline": "",
            "type": "Scripted",
            "seasons": [
                {
                    "air_date": x.episodes[0].air_date,
                    "episode_count": len(x.episodes),
                    "id": s.id * 100 + x.number,
                    "name": "Specials" if x.number == 0 else f"Season {x.number}",
                    "overview": "",
                    "poster_path": image_path(f"s{s.id}-{x.number}", ""),
                    "season_number": x.number,
                    "vote_average": 0.0,
                }
                for x in s.seasons
            ],
        }
    )
    if "credits" in append:
        body["credits"] = _credits(s.id)
    if "images" in append:
        body["images"] = _images(f"t{s.id}")
    if "external_ids" in append:
        body["external_ids"] = {
            "imdb_id": s.imdb_id,
            "freebase_mid": None,
            "freebase_id": None,
            "tvdb_id": s.tvdb_id,
            "tvrage_id": None,
            "wikidata_id": None,
        }
    if "content_ratings" in append:
        body["content_ratings"] = {
            "results": [{"descriptors": [], "iso_3166_1": "US", "rating": s.content_rating}]
        }
    if "alternative_titles" in append:
        body["alternative_titles"] = {
            "id": s.id,
            "results": [{"iso_3166_1": "US", "title": t, "type": ""} for t in s.alt_titles],
        }
    return body


def season_details(s: Show, number: int) -> dict[str, Any] | None:
    season = next((x for x in s.seasons if x.number == number), None)
    if season is None:
        return None
    return {
        "_id": f"{s.id:012x}{number:012x}",
        "air_date": season.episodes[0].air_date,
        "name": "Specials" if number == 0 else f"Season {number}",
        "overview": "",
        "id": s.id * 100 + number,
        "poster_path": image_path(f"s{s.id}-{number}", ""),
        "season_number": number,
        "vote_average": 0.0,
        "episodes": [
            {
                "air_date": e.air_date,
                "episode_number": e.number,
                "episode_type": "standard",
                "id": s.id * 10000 + number * 1000 + e.number,
                "name": e.name,
                "overview": "",
                "production_code": "",
                "runtime": e.runtime,
                "season_number": number,
                "show_id": s.id,
                "still_path": image_path(f"e{s.id}-{number}-{e.number}", ""),
                "vote_average": 7.0,
                "vote_count": 3,
                "crew": [],
                "guest_stars": [],
            }
            for e in season.episodes
        ],
    }


def png(seed: str) -> bytes:
    """A 2x3 PNG whose colour depends on the path, so artwork bytes differ per image."""
    r, g, b = hashlib.sha1(seed.encode()).digest()[:3]
    raw = b"".join(b"\x00" + bytes((r, g, b)) * 2 for _ in range(3))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", 2, 3, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
