"""Realistic file names with known answers, built from the shared `titles` world.

Every name comes with what it should be recognised as and which TMDB record it names
(None for films that exist on disk but not on TMDB), so tests and the benchmark can
measure recognition accuracy and identification precision/recall. Forms follow what
people and tools actually produce: Kodi/Plex/Jellyfin layouts, Radarr/Sonarr names,
scene releases, fansub groups, stacked discs, editions, daily shows.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass

from reel.catalog.text import fold
from reel.testing.titles import Movie, Show, World, build_world

_RES = ("720p", "1080p", "2160p", "480p")
_SRC = ("BluRay", "WEB-DL", "WEBRip", "HDTV", "DVDRip", "BDRip")
_CODEC = ("x264", "x265", "H.264", "HEVC", "XviD")
_GROUPS = ("GRP", "SPARKS", "NTb", "FLUX", "RARBG", "YIFY", "AMIABLE", "CtrlHD")
_SUBS = ("SubsPlease", "Erai-raws", "HorribleSubs", "Judas")
_EXT = ("mkv", "mkv", "mkv", "mp4", "mp4", "avi", "m4v", "ts")
_EDITIONS = ("Director's Cut", "Extended", "Theatrical", "Unrated", "Remastered")


@dataclass(frozen=True)
class Expected:
    """The right reading of a name; `tmdb_id` is the movie's or the show's id."""

    kind: str
    title: str
    year: int | None = None
    season: int | None = None
    episodes: tuple[int, ...] = ()
    absolute: int | None = None
    date: str | None = None
    edition: str | None = None
    part: int | None = None
    tmdb_id: int | None = None


@dataclass(frozen=True)
class LabelledName:
    path: str
    expected: Expected
    form: str


def safe(title: str) -> str:
    """What a title looks like as a file name (Radarr's "smart" colon replacement)."""
    title = re.sub(r"\s*:\s*", " - ", title)
    return re.sub(r'[?*"<>|\\/]', "", title).strip()


def dotted(title: str) -> str:
    """A scene-style title: ASCII words joined by dots."""
    text = fold(title).replace("&", "and").replace("'", "").replace("·", ".")
    words = re.findall(r"[a-z0-9]+", text)
    return ".".join(w.capitalize() if w.isalpha() else w for w in words)


def _movie_names(m: Movie | tuple[str, int], rng: random.Random) -> list[LabelledName]:
    if isinstance(m, Movie):
        title, year, tmdb = m.title, m.year, m.id
    else:
        (title, year), tmdb = m, None
    t, d, ext = safe(title), dotted(title), rng.choice(_EXT)
    res, grp = rng.choice(_RES), rng.choice(_GROUPS)
    form = rng.choices(
        ("kodi_folder", "kodi_flat", "scene", "scene_folder", "brackets", "edition",
         "plex_edition", "stacked", "noyear", "tmdb_tag", "underscore"),
        weights=(20, 10, 18, 8, 6, 6, 3, 4, 5, 3, 3),
    )[0]  # fmt: skip

    def one(path: str, **kw: object) -> LabelledName:
        exp = Expected("movie", title, year, tmdb_id=tmdb, **kw)  # type: ignore[arg-type]
        return LabelledName(path, exp, form)

    if form == "kodi_folder":
        return [one(f"{t} ({year})/{t} ({year}).{ext}")]
    if form == "kodi_flat":
        return [one(f"{t} ({year}).{ext}")]
    if form == "scene":
        src, codec = rng.choice(_SRC), rng.choice(_CODEC)
        return [one(f"{d}.{year}.{res}.{src}.{codec}-{grp}.{ext}")]
    if form == "scene_folder":
        return [one(f"{d}.{year}.{res}.BluRay-{grp}/{d.lower()}.{year}.{res}-{grp.lower()}.{ext}")]
    if form == "brackets":
        return [one(f"{t} [{year}] [{res}].{ext}")]
    if form == "edition":
        ed = rng.choice(_EDITIONS)
        return [one(f"{t} ({year})/{t} ({year}) - {ed}.{ext}", edition=ed)]
    if form == "plex_edition":
        ed = rng.choice(_EDITIONS)
        folder = f"{t} ({year}) {{edition-{ed}}}"
        return [one(f"{folder}/{folder}.{ext}", edition=ed)]
    if form == "stacked":
        marker = rng.choice(("cd", "part", "CD", "disc"))
        sep = rng.choice((" - ", " ", "."))
        return [one(f"{t} ({year})/{t} ({year}){sep}{marker}{n}.avi", part=n) for n in (1, 2)]
    if form == "noyear":
        exp = Expected("movie", title, None, tmdb_id=tmdb)
        return [LabelledName(f"{t}/{t}.{ext}", exp, form)]
    if form == "tmdb_tag" and tmdb is not None:
        return [one(f"{t} ({year}) {{tmdb-{tmdb}}}/{t} ({year}).{ext}")]
    u = "_".join(re.findall(r"[a-z0-9]+", fold(title).replace("'", "").replace("&", "and")))
    return [LabelledName(f"{u}_{year}.{ext}", Expected("movie", title, year, tmdb_id=tmdb),
                         "underscore")]  # fmt: skip


def _show_names(s: Show, rng: random.Random, cap: int | None) -> list[LabelledName]:
    form = (
        "anime" if s.anime else "daily" if s.daily else rng.choices(
            ("kodi", "kodi_year", "bare", "multi", "scene", "cross", "pack"),
            weights=(30, 15, 12, 8, 15, 10, 10),
        )[0]
    )  # fmt: skip
    n, y, d, ext = safe(s.name), s.year, dotted(s.name), rng.choice(_EXT)
    grp = rng.choice(_SUBS if s.anime else _GROUPS)
    out: list[LabelledName] = []
    episodes = [(season, ep) for season in s.seasons for ep in season.episodes]
    if cap is not None and len(episodes) > cap:
        episodes = sorted(rng.sample(episodes, cap), key=lambda p: (p[0].number, p[1].number))
    for season, ep in episodes:
        sn, en, ss, ee = season.number, ep.number, f"{season.number:02d}", f"{ep.number:02d}"
        title = safe(ep.name)
        folder = "Specials" if sn == 0 else f"Season {ss}"
        exp = Expected("episode", s.name, None, sn, (en,), tmdb_id=s.id)
        if form == "anime":
            if sn == 0:
                continue
            exp = Expected("episode", s.name, absolute=en, tmdb_id=s.id)
            path = f"{n}/[{grp}] {n} - {en:03d} [1080p].{ext}"
        elif form == "daily":
            yyyy, mm, dd = ep.air_date.split("-")
            exp = Expected("episode", s.name, date=ep.air_date, tmdb_id=s.id)
            path = f"{n}/{d}.{yyyy}.{mm}.{dd}.{rng.choice(_RES)}.WEB.{ext}"
        elif form == "kodi":
            path = f"{n}/{folder}/{n} - S{ss}E{ee} - {title}.{ext}"
        elif form == "kodi_year":
            exp = Expected("episode", s.name, y, sn, (en,), tmdb_id=s.id)
            path = f"{n} ({y})/Season {sn}/{n} ({y}) - S{ss}E{ee}.{ext}"
        elif form == "bare":
            path = f"{n}/{folder}/S{ss}E{ee}.{ext}"
        elif form == "multi" and en % 2 == 1 and en < len(season.episodes):
            exp = Expected("episode", s.name, None, sn, (en, en + 1), tmdb_id=s.id)
            path = f"{n}/S{ss}E{ee}E{en + 1:02d}.{ext}"
        elif form == "multi":
            path = f"{n}/{n} - S{ss}E{ee}.{ext}"
        elif form == "scene":
            path = f"{d}.S{ss}E{ee}.{rng.choice(_RES)}.WEB-DL.x264-{grp}.{ext}"
        elif form == "cross":
            path = f"{n}/{folder}/{n} - {sn}x{ee} - {title}.{ext}"
        else:
            path = f"{d}.S{ss}.1080p.WEB-DL-{grp}/{d}.S{ss}E{ee}.1080p.WEB-DL-{grp}.{ext}"
        out.append(LabelledName(path, exp, form))
    return out


def generate(
    count: int,
    seed: int = 11,
    world: World | None = None,
    episodes_per_show: int | None = None,
    unknown_share: float = 0.08,
) -> list[LabelledName]:
    """`count` distinct labelled paths; repeats the world under `Library N/` if needed."""
    world = world or build_world()
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[LabelledName] = []
    for prefix in _prefixes():
        for name in _one_pass(world, rng, episodes_per_show, unknown_share):
            path = prefix + name.path
            if path not in seen:
                seen.add(path)
                out.append(LabelledName(path, name.expected, name.form))
                if len(out) >= count:
                    return out
    return out  # pragma: no cover - _prefixes never ends


def _prefixes() -> Iterator[str]:
    yield ""
    k = 2
    while True:
        yield f"Library {k}/"
        k += 1


def _one_pass(
    world: World, rng: random.Random, cap: int | None, unknown_share: float
) -> Iterator[LabelledName]:
    movies: list[Movie | tuple[str, int]] = [m for m in world.movies if m.labelled]
    unknown = world.unknown_titles[: max(1, int(len(movies) * unknown_share))]
    movies.extend(unknown)
    shows = [s for s in world.shows if s.labelled]
    jobs: list[Movie | tuple[str, int] | Show] = [*movies, *shows]
    rng.shuffle(jobs)
    for job in jobs:
        if isinstance(job, Show):
            yield from _show_names(job, rng, cap)
        else:
            yield from _movie_names(job, rng)


def labelled_set(
    count: int = 2000, seed: int = 11, world: World | None = None
) -> list[LabelledName]:
    """A varied labelled set: few episodes per show so every show and form is represented."""
    return generate(count, seed, world, episodes_per_show=4)
