"""Streaming M3U / M3U Plus line parser: syntax only, no idea of channels or films.

Playlists in the wild are 100k+ lines of loosely written text, so the parser is push
based (feed decoded text, get finished entries back), never raises on input, and follows
the Kodi IPTV Simple reading of the directives (the de facto reference): `#EXTGRP` sticks
until an empty one or a `group-title`, `#KODIPROP`/`#EXTVLCOPT` attach to the next entry,
and the first non-directive line after `#EXTINF` is the entry's location.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

# Fast path: well-quoted attributes. Values may be double-, single- or un-quoted.
_ATTR = re.compile(r"""\s*([A-Za-z0-9_:.\-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s,"']*))""")
# Tolerant path: a double-quoted value runs to the quote that ends the attribute, so
# `tvg-name="He said "hi""` keeps its inner quotes.
_LOOSE_ATTR = re.compile(r"""\s*([A-Za-z0-9_:.\-]+)\s*=\s*"(.*?)"(?=[\s,]|$)""")
_DURATION = re.compile(r"\s*(-?\d+(?:\.\d+)?)?")
# Fastest path for the common, well-formed line; anything else takes the tolerant path.
_FAST_EXTINF = re.compile(r'\s*(-?\d+(?:\.\d+)?)?((?:\s+[A-Za-z0-9_:.\-]+="[^"]*")*)\s*,(.*)')
_PAIR = re.compile(r'([A-Za-z0-9_:.\-]+)="([^"]*)"')


@dataclass(slots=True)
class M3uEntry:
    """One playlist entry as written: `#EXTINF` fields, directives before it, its location."""

    location: str
    title: str = ""
    duration: float | None = None
    attrs: dict[str, str] = field(default_factory=dict)
    groups: list[str] = field(default_factory=list)
    props: dict[str, str] = field(default_factory=dict)
    media: bool = False


@dataclass(slots=True)
class M3uHeader:
    """`#EXTM3U` attributes (url-tvg, x-tvg-url, tvg-shift, ...)."""

    seen: bool = False
    attrs: dict[str, str] = field(default_factory=dict)

    @property
    def guide_urls(self) -> list[str]:
        """EPG locations; providers separate several with commas (some with spaces)."""
        urls: list[str] = []
        for key in ("url-tvg", "x-tvg-url", "tvg-url"):
            for part in re.split(r"[,\s]+", self.attrs.get(key, "")):
                if part and part not in urls:
                    urls.append(part)
        return urls


def parse_attrs(text: str, pos: int = 0) -> tuple[dict[str, str], int]:
    """Attributes from `pos` on, and where they stop (at the title's comma, if any)."""
    attrs: dict[str, str] = {}
    length = len(text)
    while pos < length:
        match = _ATTR.match(text, pos)
        if match is None:
            break
        name, dq, sq, bare = match.groups()
        end = match.end()
        if dq is not None and end < length and text[end] not in " \t,":
            loose = _LOOSE_ATTR.match(text, pos)
            if loose is not None:
                dq, end = loose.group(2), loose.end()
        attrs[name.lower()] = dq if dq is not None else sq if sq is not None else bare
        pos = end
    return attrs, pos


def parse_extinf(body: str) -> tuple[float | None, dict[str, str], str]:
    """`<duration> attrs,<title>` (text after `#EXTINF:`) into its three parts."""
    fast = _FAST_EXTINF.fullmatch(body)
    if fast is not None:
        raw, pairs, title = fast.groups()
        attrs = {k.lower(): v for k, v in _PAIR.findall(pairs)}
        return (float(raw) if raw is not None else None), attrs, title.strip()
    match = _DURATION.match(body)
    duration: float | None = None
    pos = 0
    if match is not None:
        if match.group(1) is not None:
            duration = float(match.group(1))
        pos = match.end()
    attrs, pos = parse_attrs(body, pos)
    rest = body[pos:]
    comma = rest.find(",")
    title = rest[comma + 1 :] if comma >= 0 else rest
    return duration, attrs, title.strip()


class M3uParser:
    """Push parser: `feed()` decoded text, collect entries; `close()` flushes the tail."""

    def __init__(self) -> None:
        self.header = M3uHeader()
        self.garbage = 0
        self.lines = 0
        self._tail = ""
        self._started = False
        self._extinf: tuple[float | None, dict[str, str], str] | None = None
        self._sticky_groups: list[str] = []
        self._props: dict[str, str] = {}
        self._media = False

    def feed(self, text: str) -> list[M3uEntry]:
        """Parse whole lines of `text`; a partial last line waits for the next call."""
        if not text:
            return []
        if not self._started:
            self._started = True
            text = text.lstrip("\ufeff")  # a BOM that reached us undecoded
        lines = (self._tail + text).split("\n")
        self._tail = lines.pop()
        return self._lines(lines)

    def close(self) -> list[M3uEntry]:
        """Parse what is left; an `#EXTINF` with no location is dropped as garbage."""
        tail, self._tail = self._tail, ""
        entries = self._lines([tail]) if tail else []
        if self._extinf is not None:
            self.garbage += 1
            self._extinf = None
        return entries

    def _lines(self, lines: list[str]) -> list[M3uEntry]:
        entries: list[M3uEntry] = []
        for raw in lines:
            line = raw.strip()
            if not line:
                continue
            self.lines += 1
            if line[0] == "#":
                self._directive(line)
            elif self._extinf is not None:
                duration, attrs, title = self._extinf
                self._extinf = None
                entries.append(self._entry(line, duration, attrs, title))
            elif "://" in line:
                entries.append(self._entry(line, None, {}, ""))
            else:
                self.garbage += 1
        return entries

    def _entry(
        self, location: str, duration: float | None, attrs: dict[str, str], title: str
    ) -> M3uEntry:
        entry = M3uEntry(
            location, title, duration, attrs, list(self._sticky_groups), self._props, self._media
        )
        self._props = {}
        self._media = False
        return entry

    def _directive(self, line: str) -> None:
        tag, _, body = line.partition(":")
        tag = tag.upper()
        if tag.startswith("#EXTM3U"):
            self.header.seen = True
            attrs, _ = parse_attrs(line, len("#EXTM3U"))
            self.header.attrs.update(attrs)
        elif tag == "#EXTINF":
            if self._extinf is not None:
                self.garbage += 1  # the previous #EXTINF never got a location
            self._extinf = parse_extinf(body)
            if "group-title" in self._extinf[1]:
                self._sticky_groups = []
        elif tag == "#EXTGRP":
            self._sticky_groups = [g.strip() for g in body.split(";") if g.strip()]
        elif tag in ("#KODIPROP", "#EXTVLCOPT"):
            key, sep, value = body.partition("=")
            if sep and key.strip():
                self._props[key.strip().lower()] = value.strip()
        elif tag == "#EXT-X-PLAYLIST-TYPE":
            self._media = body.strip().upper() == "VOD"


class TextDecoder:
    """Incremental UTF-8 decoding that drops a BOM and never fails on bad bytes."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")

    def decode(self, data: bytes, final: bool = False) -> str:
        return self._decoder.decode(data, final)
