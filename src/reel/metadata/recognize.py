"""Turn a file's path into what it most likely is: a film or an episode, and which one.

guessit does the heavy lifting on release names; Kodi's layouts add what a filename
alone lacks (the show folder names the show, `Season 01`/`Specials` folders give the
season, `Title (Year)` folders name the film). Kodi's stacking rule decides what a
`cd1`/`part1` is, because guessit also reads "Part Two" of a title as a part number.
Recognition never raises: an odd name yields a best-effort guess that matching rejects.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from functools import lru_cache
from pathlib import PurePath, PurePosixPath
from typing import Any, Literal

import msgspec
from guessit import guessit

log = logging.getLogger(__name__)

Kind = Literal["movie", "episode"]
LibraryHint = Literal["movies", "shows", "mixed"]


class Recognition(msgspec.Struct, frozen=True, omit_defaults=True):
    """What a path names. For an episode, `title` and `year` belong to the show.

    `absolute` is an anime-style absolute episode number (no season known);
    `part` is the stack number of one film split over several files;
    `show_folder` is the show's folder relative to the scanned root, the key that
    groups episodes into one show; `ids` come from `{tmdb-603}`-style name tags.
    """

    kind: Kind
    title: str
    year: int | None = None
    season: int | None = None
    episodes: tuple[int, ...] = ()
    absolute: int | None = None
    date: date | None = None
    episode_title: str | None = None
    edition: str | None = None
    part: int | None = None
    show_folder: str | None = None
    ids: dict[str, str] = msgspec.field(default_factory=dict)


# Kodi's default <moviestacking> expressions (digits, then letters a-d).
_STACK = (
    re.compile(r"^(.*?)([ _.-]*(?:cd|dvd|p(?:ar)?t|dis[ck])[ _.-]*([0-9]+))(.*?)$", re.I),
    re.compile(r"^(.*?)([ _.-]*(?:cd|dvd|p(?:ar)?t|dis[ck])[ _.-]*([a-d]))(.*?)$", re.I),
)
_SEASON_DIR = re.compile(
    r"^(?:season|series|saison|staffel|temporada|stagione|seizoen|sezon)[ ._-]*(\d{1,4})$"
    r"|^s(\d{1,3})$",
    re.I,
)
_SPECIALS_DIR = re.compile(r"^(?:specials?|extras? season|season[ ._-]*specials?)$", re.I)
_TITLE_YEAR = re.compile(r"^(?P<title>.+?)[ ._]*[(\[](?P<year>(?:19|20)\d\d)[)\]]\s*$")
_ID_TAG = re.compile(r"[\[{](?P<key>tmdb|imdb|tvdb)(?:id)?[-=](?P<value>tt\d+|\d+)[\]}]", re.I)
_EDITION_TAG = re.compile(r"\{edition-(?P<edition>[^}]+)\}", re.I)
_EPISODE_MARK = re.compile(r"(?:^|[^a-z0-9])(?:s\d{1,3}e\d|\d{1,2}x\d{2}|e\d{2,3})", re.I)
_EXPLICIT_EPISODE = re.compile(r"(?:^|[^a-z0-9])(?:s\d{1,3}[ ._-]?e\d|\d{1,2}x\d{2})", re.I)
_SPACES = re.compile(r"\s+")
# Canonical Kodi/Radarr/Sonarr names, read without guessit (it costs ~4 ms a name).
_FAST_MOVIE = re.compile(
    r"^(?P<title>[^\[\]{}()]+?) \((?P<year>(?:18|19|20)\d\d)\)"
    r"(?: - (?P<edition>Director's Cut|Extended(?: Edition)?|Theatrical|Unrated|Remastered"
    r"|Special Edition|Final Cut|Ultimate Cut|IMAX))?$",
    re.I,
)
_FAST_EPISODE = re.compile(
    r"^(?:(?P<show>[^\[\]{}]+?) - )?S(?P<season>\d{1,3})E(?P<episodes>\d{1,4}(?:-?E\d{1,4})*)"
    r"(?: - (?P<title>[^\[\]{}]+))?$",
    re.I,
)


def _clean(text: str) -> str:
    return _SPACES.sub(" ", text).strip(" -_.")


def _take_tags(text: str, ids: dict[str, str]) -> tuple[str, str | None]:
    """Remove `{tmdb-1}`/`[imdbid-tt1]` and `{edition-X}` tags, collecting their values."""
    for m in _ID_TAG.finditer(text):
        ids.setdefault(m["key"].lower(), m["value"])
    edition = None
    if m2 := _EDITION_TAG.search(text):
        edition = m2["edition"].strip()
    text = _EDITION_TAG.sub(" ", _ID_TAG.sub(" ", text))
    return _clean(text), edition


def _stack(stem: str) -> tuple[str, int | None]:
    """Split a Kodi stack marker off a file stem: ("Movie (2010)", 1) for "... cd1"."""
    for pattern in _STACK:
        m = pattern.match(stem)
        if m and m[1].strip(" _.-"):
            value = m[3]
            part = int(value) if value.isdigit() else ord(value.lower()) - ord("a") + 1
            return _clean(m[1] + " " + m[4]), part
    return stem, None


def _season_of(folder: str) -> int | None:
    if _SPECIALS_DIR.match(folder):
        return 0
    m = _SEASON_DIR.match(folder)
    if m:
        return int(m[1] or m[2])
    return None


def _first_int(value: Any) -> int | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _ints(value: Any) -> tuple[int, ...]:
    values = value if isinstance(value, list) else [value]
    return tuple(sorted({v for v in values if isinstance(v, int) and not isinstance(v, bool)}))


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        value = " ".join(str(v) for v in value)
    return str(value) if value not in (None, "") else None


def _guess(name: str, kind: Kind | None) -> dict[str, Any]:
    options: dict[str, Any] = {"type": kind} if kind else {}
    try:
        return dict(guessit(name, options))
    except Exception:  # guessit is a heuristic engine; never let a name stop a scan
        log.debug("guessit failed on %r", name, exc_info=True)
        return {}


@lru_cache(maxsize=4096)
def _show_folder_title(folder: str) -> tuple[str, int | None, tuple[tuple[str, str], ...]]:
    """A show folder's title, year and id tags; `Show (2005)` is Kodi's layout."""
    ids: dict[str, str] = {}
    text, _ = _take_tags(folder, ids)
    m = _TITLE_YEAR.match(text)
    if m:
        return _clean(m["title"]), int(m["year"]), tuple(ids.items())
    if ("." in text and " " not in text) or _EPISODE_MARK.search(text):
        guess = _guess(text, "episode")  # a season-pack release folder
        title = _text(guess.get("title"))
        if title:
            return title, _first_int(guess.get("year")), tuple(ids.items())
    return text, None, tuple(ids.items())


def recognize(path: str | PurePath, hint: LibraryHint = "mixed") -> Recognition:
    """Recognise a path relative to its library root (folders above it are context)."""
    raw = str(path).replace("\\", "/")
    parts = [p for p in PurePosixPath(raw).parts if p not in ("/", "")]
    if not parts:
        return Recognition(kind="movie", title="")
    name, folders = parts[-1], parts[:-1]
    ids: dict[str, str] = {}
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem, edition_tag = _take_tags(stem, ids)
    folders = [_take_tags(f, ids)[0] if "{" in f or "[" in f else f for f in folders]

    season_dir = _season_of(folders[-1]) if folders else None
    show_parts = folders[:-1] if season_dir is not None else folders
    fast = _fast(stem, show_parts, season_dir, ids, edition_tag, hint)
    if fast is not None:
        return fast
    episodic = season_dir is not None or hint == "shows" or bool(_EPISODE_MARK.search(stem))
    if episodic:
        return _episode(stem, name, folders, show_parts, season_dir, ids, hint)
    return _movie(stem, name, folders, ids, edition_tag, hint)


def _fast(
    stem: str,
    show_parts: list[str],
    season_dir: int | None,
    ids: dict[str, str],
    edition_tag: str | None,
    hint: LibraryHint,
) -> Recognition | None:
    """Canonical names are unambiguous; anything else goes to guessit."""
    m = _FAST_EPISODE.match(stem)
    if m and (m["show"] or show_parts) and hint != "movies":
        show_folder = "/".join(show_parts) if show_parts else None
        if show_parts:
            title, year, folder_ids = _show_folder_title(show_parts[-1])
            ids.update({k: v for k, v in folder_ids if k not in ids})
        else:
            title, year = _clean(m["show"]), None
            if y := _TITLE_YEAR.match(title):
                title, year = _clean(y["title"]), int(y["year"])
        numbers = tuple(sorted({int(e) for e in re.split(r"-?E", m["episodes"], flags=re.I)}))
        return Recognition(
            kind="episode", title=title, year=year, season=int(m["season"]), episodes=numbers,
            episode_title=_clean(m["title"]) if m["title"] else None,
            show_folder=show_folder, ids=ids,
        )  # fmt: skip
    if season_dir is not None or hint == "shows":
        return None
    bare, part = _stack(stem)
    m = _FAST_MOVIE.match(bare)
    if m:
        edition = edition_tag or (m["edition"] and m["edition"].replace(" Edition", ""))
        return Recognition(
            kind="movie", title=_clean(m["title"]), year=int(m["year"]),
            edition=edition or None, part=part, ids=ids,
        )  # fmt: skip
    return None


def _movie(
    stem: str,
    name: str,
    folders: list[str],
    ids: dict[str, str],
    edition_tag: str | None,
    hint: LibraryHint,
) -> Recognition:
    bare, part = _stack(stem)
    ext = name.rsplit(".", 1)[1] if "." in name else "mkv"
    context = "/".join([*folders[-1:], f"{bare}.{ext}"])
    guess = _guess(context, "movie" if hint == "movies" else None)
    if guess.get("type") == "episode" and hint != "movies" and _has_episode(guess):
        if not (guess.get("year") and not _EXPLICIT_EPISODE.search(bare)):
            return _episode(stem, name, folders, folders, None, ids, hint)
        guess = _guess(context, "movie")  # "3 - 10 to Yuma (1957)" is a film
    title = _text(guess.get("title")) or bare
    alt = _text(guess.get("alternative_title"))
    if alt:
        title = f"{title} - {alt}"
    guessed_part = _first_int(guess.get("part"))
    if guessed_part is not None and part is None:
        # guessit read "Part Two" of a title as a stack marker; Kodi would not.
        m = re.search(r"\bpart[ ._-]*(\w+)", bare, re.I)
        if m:
            title = f"{title} Part {m[1]}"
    year = _first_int(guess.get("year"))
    if folders:
        folder = _TITLE_YEAR.match(folders[-1])
        if folder and (year is None or not _similar(title, folder["title"])):
            # Kodi's "use folder names": `Title (Year)/anything.mkv`.
            title, year = _clean(folder["title"]), int(folder["year"])
    edition = edition_tag or _text(guess.get("edition"))
    return Recognition(
        kind="movie", title=_clean(title), year=year, edition=edition, part=part, ids=ids
    )


def _has_episode(guess: dict[str, Any]) -> bool:
    return any(k in guess for k in ("episode", "date", "absolute_episode"))


def _similar(a: str, b: str) -> bool:
    norm = re.compile(r"[\W_]+")
    return norm.sub("", a.casefold()) == norm.sub("", b.casefold())


def _episode(
    stem: str,
    name: str,
    folders: list[str],
    show_parts: list[str],
    season_dir: int | None,
    ids: dict[str, str],
    hint: LibraryHint,
) -> Recognition:
    context = "/".join([*folders[-2:], name])
    guess = _guess(context, "episode")
    episodes = _ints(guess.get("episode"))
    season = _first_int(guess.get("season"))
    absolute = _first_int(guess.get("absolute_episode"))
    when = guess.get("date") if isinstance(guess.get("date"), date) else None
    if season is None and season_dir is not None:
        season = season_dir
    if season is None and episodes and when is None and absolute is None:
        absolute, episodes = episodes[0], ()  # `[Group] Show - 123`: anime numbering
    title = _text(guess.get("title"))
    year = _first_int(guess.get("year"))
    show_folder = "/".join(show_parts) if show_parts else None
    if show_parts:
        # Kodi names the show after its folder; a year counts only in the folder.
        folder_title, year, folder_ids = _show_folder_title(show_parts[-1])
        title = folder_title or title
        for key, value in folder_ids:
            ids.setdefault(key, value)
    if not episodes and not when and absolute is None and season is None:
        return Recognition(kind="movie", title=_clean(title or stem), year=year, ids=ids)
    return Recognition(
        kind="episode",
        title=_clean(title or stem),
        year=year,
        season=season,
        episodes=episodes,
        absolute=absolute,
        date=when,
        episode_title=_text(guess.get("episode_title")),
        show_folder=show_folder,
        ids=ids,
    )
