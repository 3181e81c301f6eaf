"""TMDB answers turned into the field values identification lays over items.

Column fields (`overlay.FIELDS`) and `artwork` are applied to the item; the rest
(cast, directors, certification, premiered, tagline) are kept for the NFO writer.
Artwork values are full image URLs, so any client can fetch them and the asset store
can download them; `image_url` joins TMDB's size and path the way its docs describe.
"""

from __future__ import annotations

from typing import Any

from reel.metadata.tmdb.models import (
    Credits,
    Episode,
    MovieDetails,
    SeasonDetails,
    TvDetails,
)

POSTER_SIZE = "w500"
FANART_SIZE = "w1280"
STILL_SIZE = "w300"


def image_url(base: str, size: str, path: str | None) -> str | None:
    if not path:
        return None
    return f"{base.rstrip('/')}/{size}/{path.lstrip('/')}"


def _cast(credits: Credits | None) -> list[dict[str, Any]]:
    if credits is None:
        return []
    return [
        {"name": c.name, "role": c.character, "order": c.order}
        for c in sorted(credits.cast, key=lambda c: c.order)[:15]
    ]


def _directors(credits: Credits | None) -> list[str]:
    return [c.name for c in credits.crew if c.job == "Director"] if credits else []


def _artwork(base: str, **paths: tuple[str, str | None]) -> dict[str, str]:
    out = {}
    for role, (size, path) in paths.items():
        url = image_url(base, size, path)
        if url:
            out[role] = url
    return out


def movie_values(m: MovieDetails, image_base: str) -> dict[str, Any]:
    imdb = m.imdb_id or (m.external_ids.imdb_id if m.external_ids else None)
    return {
        "title": m.title,
        "original_title": m.original_title if m.original_title != m.title else None,
        "year": m.year,
        "overview": m.overview or None,
        "rating": m.vote_average,
        "genres": [g.name for g in m.genres if g.name],
        "duration_ms": m.runtime * 60_000 if m.runtime else None,
        "tmdb_id": str(m.id),
        "imdb_id": imdb or None,
        "artwork": _artwork(
            image_base,
            poster=(POSTER_SIZE, m.poster_path),
            fanart=(FANART_SIZE, m.backdrop_path),
        ),
        "premiered": m.release_date or None,
        "tagline": m.tagline or None,
        "certification": m.certification(),
        "cast": _cast(m.credits),
        "directors": _directors(m.credits),
        "votes": m.vote_count,
    }


def show_values(s: TvDetails, image_base: str) -> dict[str, Any]:
    ext = s.external_ids
    return {
        "title": s.name,
        "original_title": s.original_name if s.original_name != s.name else None,
        "year": s.year,
        "overview": s.overview or None,
        "rating": s.vote_average,
        "genres": [g.name for g in s.genres if g.name],
        "tmdb_id": str(s.id),
        "imdb_id": ext.imdb_id if ext and ext.imdb_id else None,
        "tvdb_id": str(ext.tvdb_id) if ext and ext.tvdb_id else None,
        "artwork": _artwork(
            image_base,
            poster=(POSTER_SIZE, s.poster_path),
            fanart=(FANART_SIZE, s.backdrop_path),
        ),
        "premiered": s.first_air_date or None,
        "certification": s.content_rating(),
        "cast": _cast(s.credits),
    }


def season_values(season: SeasonDetails, image_base: str) -> dict[str, Any]:
    number = season.season_number
    default = "Specials" if number == 0 else f"Season {number}"
    return {
        "title": season.name or default,
        "overview": season.overview or None,
        "artwork": _artwork(image_base, poster=(POSTER_SIZE, season.poster_path)),
    }


def episode_values(e: Episode, image_base: str) -> dict[str, Any]:
    return {
        "title": e.name or f"Episode {e.episode_number}",
        "overview": e.overview or None,
        "rating": e.vote_average,
        "duration_ms": e.runtime * 60_000 if e.runtime else None,
        "artwork": _artwork(image_base, thumb=(STILL_SIZE, e.still_path)),
        "aired": e.air_date or None,
        "tmdb_episode_id": e.id,
    }
