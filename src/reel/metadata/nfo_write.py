"""Write Kodi NFO documents, and never over a file a person wrote.

A Reel-written file has `<!-- reel:generated sha256=H -->` right after the XML
declaration, where H is the SHA-256 of everything after that line. If the marker is
missing, or the content no longer hashes to H because someone edited the file, the file
belongs to a person.
Files are replaced atomically (temporary file + rename) so Kodi never reads half a file.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from reel.metadata.nfo import Nfo
from reel.metadata.probe import StreamDetails

log = logging.getLogger(__name__)

WriteOutcome = Literal["written", "unchanged", "kept-handwritten"]
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>\n'
_MARKER = re.compile(rb"^<\?xml[^>]*\?>\n<!-- reel:generated sha256=([0-9a-f]{64}) -->\n")
_ID_ORDER = ("tmdb", "imdb", "tvdb")


def _sub(parent: ET.Element, tag: str, value: object, **attrs: str) -> None:
    if value is None or value == "":
        return
    child = ET.SubElement(parent, tag, attrs)
    child.text = f"{value:g}" if isinstance(value, float) else str(value)


def _streams(parent: ET.Element, streams: StreamDetails) -> None:
    details = ET.SubElement(ET.SubElement(parent, "fileinfo"), "streamdetails")
    for v in streams.video:
        video = ET.SubElement(details, "video")
        _sub(video, "codec", v.codec)
        _sub(video, "aspect", v.aspect)
        _sub(video, "width", v.width)
        _sub(video, "height", v.height)
        if streams.duration_s:
            _sub(video, "durationinseconds", round(streams.duration_s))
        if v.hdr:
            _sub(video, "hdrtype", "hdr10")
    for a in streams.audio:
        audio = ET.SubElement(details, "audio")
        _sub(audio, "codec", a.codec)
        _sub(audio, "language", a.language)
        _sub(audio, "channels", a.channels)
    for s in streams.subtitles:
        _sub(ET.SubElement(details, "subtitle"), "language", s.language)


def build_element(doc: Nfo, default_id: str = "tmdb") -> ET.Element:
    """One Kodi document (`movie`, `tvshow` or `episodedetails`) in Kodi's element order."""
    if doc.kind == "url":
        raise ValueError("a URL-only NFO is read, never written")
    root: ET.Element = ET.Element(str(doc.kind))
    _sub(root, "title", doc.title)
    _sub(root, "originaltitle", doc.original_title)
    _sub(root, "showtitle", doc.show_title)
    _sub(root, "sorttitle", doc.sort_title)
    if doc.ratings:
        ratings = ET.SubElement(root, "ratings")
        for r in doc.ratings:
            attrs = {"name": r.name, "max": str(r.max), "default": str(r.default).lower()}
            rating = ET.SubElement(ratings, "rating", attrs)
            _sub(rating, "value", r.value)
            _sub(rating, "votes", r.votes)
    _sub(root, "userrating", doc.user_rating)
    _sub(root, "season", doc.season)
    _sub(root, "episode", doc.episode)
    _sub(root, "year", doc.year)
    _sub(root, "plot", doc.plot)
    _sub(root, "tagline", doc.tagline)
    _sub(root, "runtime", doc.runtime)
    _sub(root, "mpaa", doc.mpaa)
    keys = sorted(doc.ids, key=lambda k: (_ID_ORDER.index(k) if k in _ID_ORDER else 9, k))
    default = default_id if default_id in doc.ids else (keys[0] if keys else None)
    for key in keys:
        attrs = {"type": key, "default": "true"} if key == default else {"type": key}
        _sub(root, "uniqueid", doc.ids[key], **attrs)
    for genre in doc.genres:
        _sub(root, "genre", genre)
    for studio in doc.studios:
        _sub(root, "studio", studio)
    for director in doc.directors:
        _sub(root, "director", director)
    _sub(root, "premiered", doc.premiered)
    _sub(root, "aired", doc.aired)
    if doc.streams is not None:
        _streams(root, doc.streams)
    for actor in doc.actors:
        el = ET.SubElement(root, "actor")
        _sub(el, "name", actor.name)
        _sub(el, "role", actor.role)
        _sub(el, "order", actor.order)
        _sub(el, "thumb", actor.thumb)
    return root


def render(docs: Sequence[Nfo], default_id: str = "tmdb") -> bytes:
    """The file's bytes: declaration, marker, then one root per document."""
    parts = []
    for doc in docs:
        el = build_element(doc, default_id)
        ET.indent(el, space="    ")
        parts.append(ET.tostring(el, encoding="unicode"))
    body = ("\n".join(parts) + "\n").encode()
    digest = hashlib.sha256(body).hexdigest()
    return _DECLARATION + f"<!-- reel:generated sha256={digest} -->\n".encode() + body


def written_by_reel(data: bytes) -> bool:
    """True only for an untouched Reel-written file."""
    m = _MARKER.match(data)
    if m is None:
        return False
    return hashlib.sha256(data[m.end() :]).hexdigest() == m[1].decode()


def write_nfo(path: Path, docs: Sequence[Nfo], default_id: str = "tmdb") -> WriteOutcome:
    """Write `docs` to `path` unless a person owns the file there."""
    data = render(docs, default_id)
    try:
        current = path.read_bytes()
    except FileNotFoundError:
        current = None
    if current is not None:
        if current == data:
            return "unchanged"
        if not written_by_reel(current):
            log.info("keeping hand-written NFO %s", path)
            return "kept-handwritten"
    fd, tmp = tempfile.mkstemp(prefix=".reel-", suffix=".nfo.tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return "written"


def nfo_path(video: Path, kind: Literal["movie", "tvshow", "episodedetails"]) -> Path:
    """Where Kodi looks: `<file>.nfo` beside a film or episode, `tvshow.nfo` in the show folder
    (pass the show folder as `video` for a show). Stacked films use the first part's name."""
    if kind == "tvshow":
        return video / "tvshow.nfo"
    return video.with_suffix(".nfo")


def nfo_candidates(video: Path, kind: Literal["movie", "episodedetails"]) -> list[Path]:
    """NFO files to read for a video, most specific first (`movie.nfo` for films in a folder)."""
    out = [video.with_suffix(".nfo")]
    if kind == "movie":
        out.append(video.parent / "movie.nfo")
    return out
