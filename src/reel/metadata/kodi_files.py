"""Kodi's files next to the media: NFO documents and artwork, for sources that ask.

NFOs: `<file>.nfo` for a film (unless a person keeps a `movie.nfo` or `<file>.nfo`
there: a hand-written NFO is never overwritten or shadowed), `tvshow.nfo` in the show
folder, `<file>.nfo` per episode file (one document per episode of a multi-episode
file). Artwork: `<file>-poster.ext` and `<file>-fanart.ext` for films (valid in flat
and per-film folders), `poster.ext`/`fanart.ext`/`seasonNN-poster.ext` in show folders,
`<file>-thumb.ext` for episodes. An existing artwork file is never replaced.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any, Literal

from reel.metadata.nfo import Actor, Nfo, Rating
from reel.metadata.nfo_write import WriteOutcome, nfo_candidates, write_nfo, written_by_reel
from reel.metadata.streams import stored_details

log = logging.getLogger(__name__)

Kind = Literal["movie", "tvshow", "episodedetails"]


def _ids(row: Any) -> dict[str, str]:
    return {
        k: str(v)
        for k, v in (("tmdb", row.tmdb_id), ("imdb", row.imdb_id), ("tvdb", row.tvdb_id))
        if v
    }


def document(kind: Kind, row: Any, values: dict[str, Any]) -> Nfo:
    """The NFO for an item row (final values, locks included) and its provider extras."""
    rating = [Rating("themoviedb", float(row.rating), values.get("votes"), 10, True)]
    actors = [
        Actor(a["name"], a.get("role"), a.get("order")) for a in values.get("cast") or () if a
    ]
    return Nfo(
        kind=kind,
        ids=_ids(row),
        title=row.title,
        original_title=row.original_title,
        sort_title=row.sort_title,
        year=row.year if kind != "episodedetails" else None,
        premiered=values.get("premiered") if kind != "episodedetails" else None,
        plot=row.overview,
        tagline=values.get("tagline"),
        runtime=round(row.duration_ms / 60_000) if row.duration_ms else None,
        genres=list(row.genres or []) if kind != "episodedetails" else [],
        ratings=rating if row.rating is not None else [],
        mpaa=values.get("certification"),
        directors=list(values.get("directors") or ()),
        actors=actors,
        season=row.season if kind == "episodedetails" else None,
        episode=row.episode if kind == "episodedetails" else None,
        aired=values.get("aired") if kind == "episodedetails" else None,
        streams=stored_details(row.extra or {}) if kind != "tvshow" else None,
    )


def _handwritten(path: Path) -> bool:
    try:
        return not written_by_reel(path.read_bytes())
    except FileNotFoundError:
        return False
    except OSError:
        return True  # unreadable: not ours to touch


def write_movie_nfo(video: Path, doc: Nfo) -> WriteOutcome:
    for candidate in nfo_candidates(video, "movie"):
        if _handwritten(candidate):
            return "kept-handwritten"
    return write_nfo(video.with_suffix(".nfo"), [doc])


def write_show_nfo(folder: Path, doc: Nfo) -> WriteOutcome:
    return write_nfo(folder / "tvshow.nfo", [doc])


def write_episode_nfo(video: Path, docs: list[Nfo]) -> WriteOutcome:
    docs = sorted(docs, key=lambda d: d.episode or 0)
    return write_nfo(video.with_suffix(".nfo"), docs)


def place_artwork(blob: Path, target_stem: Path) -> bool:
    """Copy a stored blob to `<target_stem>.<ext>` unless any such file exists."""
    ext = blob.suffix
    for existing in (".jpg", ".jpeg", ".png", ".webp", ".tbn"):
        if target_stem.with_name(target_stem.name + existing).exists():
            return False
    target = target_stem.with_name(target_stem.name + ext)
    try:
        shutil.copyfile(blob, target)
    except OSError as exc:
        log.warning("cannot write artwork %s: %s", target, exc.strerror)
        return False
    return True


def artwork_targets(item_type: str, row: Any, role: str) -> Path | None:
    """Where Kodi looks for an item's artwork of `role` (without extension)."""
    path = (row.extra or {}).get("path")
    if not path:
        return None
    p = Path(path)
    if item_type == "movie" and role in ("poster", "fanart"):
        return p.with_name(f"{p.stem}-{role}")
    if item_type == "show" and role in ("poster", "fanart"):
        return p / role
    if item_type == "episode" and role == "thumb":
        return p.with_name(f"{p.stem}-thumb")
    return None


def season_poster_target(show_folder: str | None, season: int | None) -> Path | None:
    if not show_folder or season is None:
        return None
    name = "season-specials-poster" if season == 0 else f"season{season:02d}-poster"
    return Path(show_folder) / name
