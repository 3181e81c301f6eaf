"""Kodi NFO files: read what people and tools wrote, write documents Kodi reads back.

Reading accepts Kodi's real-world forms: one `<movie>`/`<tvshow>`/`<episodedetails>`
document, several `<episodedetails>` roots in one file (multi-episode files), XML with a
provider URL on a line after it, and the one-line URL-only NFO. XML goes through
defusedxml, so DTD entity tricks (billion laughs, XXE) are refused, not expanded.

Every file Reel writes starts with a marker comment holding a hash of the document.
A file without the marker, or whose content no longer matches its hash (a person edited
it), is hand-written, and Reel never overwrites it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Literal

import msgspec
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from reel.metadata.probe import AudioStream, StreamDetails, SubtitleStream, VideoStream

NfoKind = Literal["movie", "tvshow", "episodedetails", "url"]
ROOTS = ("movie", "tvshow", "episodedetails")
_URL_IDS = (
    ("tmdb", re.compile(r"themoviedb\.org/(?:movie|tv)/(\d+)")),
    ("imdb", re.compile(r"imdb\.[a-z.]+/title/(tt\d+)")),
    ("tvdb", re.compile(r"thetvdb\.com/.*?(?:[?&]id=|/series/|/dereferrer/series/)(\d+)")),
)
_MAX_BYTES = 4 * 1024 * 1024


class NfoError(ValueError):
    """An NFO that cannot be read; the message names the file and the reason."""


class Actor(msgspec.Struct, frozen=True):
    name: str
    role: str | None = None
    order: int | None = None
    thumb: str | None = None


class Rating(msgspec.Struct, frozen=True):
    name: str
    value: float
    votes: int | None = None
    max: int = 10
    default: bool = False


class Nfo(msgspec.Struct):
    """One NFO document; absent values stay None so only what the file says wins."""

    kind: NfoKind
    ids: dict[str, str] = msgspec.field(default_factory=dict)
    default_id: str | None = None
    title: str | None = None
    original_title: str | None = None
    sort_title: str | None = None
    show_title: str | None = None
    year: int | None = None
    premiered: str | None = None
    plot: str | None = None
    tagline: str | None = None
    runtime: int | None = None  # minutes, as Kodi stores it
    genres: list[str] = msgspec.field(default_factory=list)
    ratings: list[Rating] = msgspec.field(default_factory=list)
    user_rating: float | None = None
    mpaa: str | None = None
    studios: list[str] = msgspec.field(default_factory=list)
    directors: list[str] = msgspec.field(default_factory=list)
    actors: list[Actor] = msgspec.field(default_factory=list)
    season: int | None = None
    episode: int | None = None
    aired: str | None = None
    streams: StreamDetails | None = None


def ids_from_text(text: str) -> dict[str, str]:
    """Provider ids in URLs (the one-line NFO, or a URL after the XML)."""
    ids: dict[str, str] = {}
    for key, pattern in _URL_IDS:
        if m := pattern.search(text):
            ids[key] = m[1]
    return ids


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def parse_nfo(data: bytes, name: str = "NFO") -> list[Nfo]:
    """All documents in an NFO's bytes; raises NfoError naming `name` and the problem."""
    if len(data) > _MAX_BYTES:
        raise NfoError(f"{name}: larger than {_MAX_BYTES // 1024 // 1024} MiB, not an NFO")
    text = _decode(data).strip()
    if not text:
        raise NfoError(f"{name}: empty file")
    if "<" not in text:
        ids = ids_from_text(text)
        if not ids:
            raise NfoError(f"{name}: neither XML nor a TMDB/IMDb/TVDB URL")
        return [Nfo(kind="url", ids=ids)]
    xml_text, trailer = _split_trailer(text)
    roots = _parse_roots(xml_text, name)
    docs = [_read(root) for root in roots]
    extra = ids_from_text(trailer)
    for doc in docs:
        for key, value in extra.items():
            doc.ids.setdefault(key, value)
    return docs


def _split_trailer(text: str) -> tuple[str, str]:
    """Kodi allows a provider URL after the XML; split it off."""
    end = text.rfind(">")
    return text[: end + 1], text[end + 1 :]


def _parse_roots(text: str, name: str) -> list[ET.Element]:
    # The bytes were decoded already; drop the declaration so its encoding cannot disagree.
    body = re.sub(r"^((?:\s*<!--.*?-->)*)\s*<\?xml[^>]*\?>", r"\1", text, count=1, flags=re.S)
    try:
        roots = [fromstring(body.encode("utf-8"))]
    except DefusedXmlException as exc:
        raise NfoError(f"{name}: refused unsafe XML ({type(exc).__name__})") from None
    except ET.ParseError as exc:
        if "junk after document element" not in str(exc):
            raise NfoError(f"{name}: broken XML ({exc})") from None
        try:  # several <episodedetails> roots in one file: Kodi's multi-episode NFO
            wrapper = fromstring(f"<reel-nfo>{body}</reel-nfo>".encode())
        except DefusedXmlException as exc2:
            raise NfoError(f"{name}: refused unsafe XML ({type(exc2).__name__})") from None
        except ET.ParseError as exc2:
            raise NfoError(f"{name}: broken XML ({exc2})") from None
        roots = list(wrapper)
    for root in roots:
        if root.tag not in ROOTS:
            raise NfoError(f"{name}: <{root.tag}> is not a Kodi NFO root ({', '.join(ROOTS)})")
    return roots


def _text(el: ET.Element, tag: str) -> str | None:
    child = el.find(tag)
    if child is None or child.text is None:
        return None
    return child.text.strip() or None


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    m = re.match(r"-?\d+", value.strip())
    return int(m[0]) if m else None


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _all(el: ET.Element, tag: str) -> list[str]:
    return [c.text.strip() for c in el.findall(tag) if c.text and c.text.strip()]


def _read(root: ET.Element) -> Nfo:
    kind: NfoKind = root.tag  # type: ignore[assignment]
    ids: dict[str, str] = {}
    default_id = None
    for uid in root.findall("uniqueid"):
        key = (uid.get("type") or "unknown").lower()
        if uid.text and uid.text.strip():
            ids[key] = uid.text.strip()
            if uid.get("default") == "true":
                default_id = key
    for legacy, key in (("tmdbid", "tmdb"), ("imdbid", "imdb"), ("tvdbid", "tvdb")):
        if (value := _text(root, legacy)) is not None:
            ids.setdefault(key, value)
    if (value := _text(root, "id")) is not None:
        ids.setdefault(
            "imdb" if value.startswith("tt") else "tmdb" if kind == "movie" else "tvdb", value
        )
    ratings = []
    for r in root.findall("ratings/rating"):
        score = _float(_text(r, "value"))
        if score is not None:
            ratings.append(Rating(
                r.get("name") or "default", score, _int(_text(r, "votes")),
                _int(r.get("max")) or 10, r.get("default") == "true",
            ))  # fmt: skip
    actors = [
        Actor(name, _text(a, "role"), _int(_text(a, "order")), _text(a, "thumb"))
        for a in root.findall("actor")
        if (name := _text(a, "name"))
    ]
    premiered = _text(root, "premiered")
    year = _int(_text(root, "year")) or (_int(premiered[:4]) if premiered else None)
    return Nfo(
        kind=kind, ids=ids, default_id=default_id, title=_text(root, "title"),
        original_title=_text(root, "originaltitle"), sort_title=_text(root, "sorttitle"),
        show_title=_text(root, "showtitle"), year=year, premiered=premiered,
        plot=_text(root, "plot"), tagline=_text(root, "tagline"),
        runtime=_int(_text(root, "runtime")), genres=_all(root, "genre"), ratings=ratings,
        user_rating=_float(_text(root, "userrating")), mpaa=_text(root, "mpaa"),
        studios=_all(root, "studio"), directors=_all(root, "director"), actors=actors,
        season=_int(_text(root, "season")), episode=_int(_text(root, "episode")),
        aired=_text(root, "aired"), streams=_read_streams(root),
    )  # fmt: skip


def _read_streams(root: ET.Element) -> StreamDetails | None:
    details = root.find("fileinfo/streamdetails")
    if details is None:
        return None
    video = tuple(
        VideoStream(
            _text(v, "codec") or "unknown", _int(_text(v, "width")), _int(_text(v, "height")),
            _float(_text(v, "aspect")), (_text(v, "hdrtype") or "") != "",
        )
        for v in details.findall("video")
    )  # fmt: skip
    audio = tuple(
        AudioStream(
            _text(a, "codec") or "unknown", _int(_text(a, "channels")), _text(a, "language")
        )
        for a in details.findall("audio")
    )
    subs = tuple(SubtitleStream(None, _text(s, "language")) for s in details.findall("subtitle"))
    first = details.find("video")
    seconds = _int(_text(first, "durationinseconds")) if first is not None else None
    return StreamDetails(float(seconds) if seconds else None, None, video, audio, subs)


def read_nfo(path: Path) -> list[Nfo]:
    """Read an NFO file (NfoError for unreadable or broken files)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NfoError(f"{path.name}: cannot read ({exc.strerror})") from None
    return parse_nfo(data, path.name)
