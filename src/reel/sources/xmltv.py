"""Streaming XMLTV guide parser shared by the M3U and Xtream adapters.

Guides reach 100+ MB, so the document is never built: bytes are pushed through
defusedxml's expat parser (entity declarations and external references refused, so
billion-laughs and XXE payloads fail fast without expanding) and records are emitted as
each element closes. Gzip is recognised by its magic bytes, not by the file name or the
Content-Type, because providers label both wrongly. Broken programmes are skipped and
counted; a document that is not well-formed is a `BadResponse`, since a guide cut short
cannot be told apart from a guide that ends early.
"""

from __future__ import annotations

import logging
import re
import zlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

import msgspec
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError

from reel.sources.errors import BadResponse
from reel.sources.http import looks_like_html
from reel.sources.records import ProgrammeRecord

log = logging.getLogger(__name__)

GZIP_MAGIC = b"\x1f\x8b"
_INFLATE_STEP = 1 << 20  # bounded output per decompress call keeps memory flat on bombs

# Zone names the DTD's own examples use ('BST') and their common neighbours.
_ZONE_NAMES = {
    "UTC": 0, "GMT": 0, "Z": 0, "UT": 0, "WET": 0, "BST": 60, "IST": 60, "WEST": 60,
    "CET": 60, "CEST": 120, "MET": 60, "MEST": 120, "EET": 120, "EEST": 180, "MSK": 180,
    "EST": -300, "EDT": -240, "CST": -360, "CDT": -300, "MST": -420, "MDT": -360,
    "PST": -480, "PDT": -420, "AEST": 600, "AEDT": 660, "JST": 540,
}  # fmt: skip
_TIME = re.compile(
    r"\s*(\d{4})(\d\d)?(\d\d)?(\d\d)?(\d\d)?(\d\d)?(?:\.\d+)?"
    r"\s*(?:([+-])(\d\d):?(\d\d)|([A-Za-z]{1,5}))?\s*"
)


class GuideChannel(msgspec.Struct, frozen=True):
    """A `<channel>`: its id and the names players use to match playlists without ids."""

    id: str
    display_names: tuple[str, ...] = ()
    icon: str | None = None


@dataclass
class GuideStats:
    """Counts of one parse, so callers can report what was dropped and why."""

    channels: int = 0
    programmes: int = 0
    old: int = 0
    broken: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.broken += 1
        self.reasons[reason] = self.reasons.get(reason, 0) + 1


@lru_cache(maxsize=1 << 16)
def parse_xmltv_time(value: str) -> datetime | None:
    """'YYYYMMDDhhmmss +zzzz' or any initial substring, zone optional (UTC); None if bad.

    Cached because every channel of a guide repeats the same slot boundaries.
    """
    match = _TIME.fullmatch(value)
    if match is None:
        return None
    year, month, day, hour, minute, second, sign, oh, om, name = match.groups()
    if name is not None:
        minutes = _ZONE_NAMES.get(name.upper())
        if minutes is None:
            return None
    elif sign is not None:
        minutes = int(oh) * 60 + int(om)
        minutes = -minutes if sign == "-" else minutes
        if minutes >= 24 * 60:
            return None
    else:
        minutes = 0
    try:
        local = datetime(
            int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0),
            int(second or 0), tzinfo=timezone(timedelta(minutes=minutes)),
        )  # fmt: skip
    except ValueError:
        return None
    return local.astimezone(UTC)


async def inflate(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """Pass plain bytes through; gunzip (all members) when the stream starts with gzip magic."""
    head = b""
    async for chunk in chunks:
        head += chunk
        if len(head) >= 2:
            break
    if head[:2] != GZIP_MAGIC:
        if head:
            yield head
        async for chunk in chunks:
            yield chunk
        return
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    pending = head
    while True:
        while pending:
            try:
                out = inflater.decompress(pending, _INFLATE_STEP)
            except zlib.error as exc:
                raise BadResponse(f"the guide's gzip data is corrupt ({exc})") from None
            if out:
                yield out
            pending = inflater.unconsumed_tail
            if inflater.eof:
                rest = inflater.unused_data
                if rest[:2] != GZIP_MAGIC:  # trailing padding after the last member
                    pending = b""
                    break
                inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
                pending = rest
        try:
            pending = await anext(chunks)
        except StopAsyncIteration:
            break
    if not inflater.eof:
        raise BadResponse("the guide's gzip data ends early (truncated download?)")


class _NotXmltv(Exception):
    """Raised inside expat callbacks; turned into BadResponse outside them."""


class _GuideBuilder:
    """expat callbacks that turn elements into records as they close.

    A programme without `stop` ends where the next programme of its channel starts
    (XMLTV lists each channel in time order), so one pending entry per channel is held.
    """

    def __init__(self, since: datetime | None, languages: Sequence[str], stats: GuideStats):
        self.since = since
        self.languages = [lang.lower() for lang in languages]
        self.stats = stats
        self.out: list[GuideChannel | ProgrammeRecord] = []
        self.root: str | None = None
        self.attrs: dict[str, str] = {}
        self.texts: dict[str, list[tuple[str, str]]] = {}
        self.icon: str | None = None
        self.collect: str | None = None
        self.lang = ""
        self.buffer: list[str] = []
        self.open_programmes: dict[str, tuple[datetime, str, str | None]] = {}

    def start(self, tag: str, attrs: list[str]) -> None:
        if self.root is None:
            self.root = tag
            if tag != "tv":
                raise _NotXmltv(f"root element is <{tag[:40]}>, not <tv>")
            return
        if tag in ("programme", "channel"):
            self.attrs = dict(zip(attrs[::2], attrs[1::2], strict=True))
            self.texts = {}
            self.icon = None
        elif tag in ("title", "desc", "display-name") and self.attrs:
            self.collect = tag
            self.lang = ""
            for i in range(0, len(attrs), 2):
                if attrs[i] == "lang":
                    self.lang = attrs[i + 1].lower()
            self.buffer = []
        elif tag == "icon" and self.icon is None and self.attrs:
            for i in range(0, len(attrs), 2):
                if attrs[i] == "src":
                    self.icon = attrs[i + 1]

    def data(self, text: str) -> None:
        if self.collect is not None:
            self.buffer.append(text)

    def end(self, tag: str) -> None:
        if tag == self.collect:
            text = " ".join("".join(self.buffer).split())
            if text:
                self.texts.setdefault(tag, []).append((self.lang, text))
            self.collect = None
        elif tag == "programme":
            self._programme()
            self.attrs = {}
        elif tag == "channel":
            self._channel()
            self.attrs = {}

    def _pick(self, tag: str) -> str | None:
        options = self.texts.get(tag)
        if not options:
            return None
        for lang in self.languages:
            for option_lang, text in options:
                if option_lang == lang or option_lang.split("-")[0] == lang:
                    return text
        return options[0][1]

    def _channel(self) -> None:
        cid = self.attrs.get("id", "").strip()
        if not cid:
            self.stats.skip("channel without id")
            return
        names = tuple(text for _, text in self.texts.get("display-name", ()))
        self.stats.channels += 1
        self.out.append(GuideChannel(cid, names, self.icon))

    def _programme(self) -> None:
        channel = self.attrs.get("channel", "").strip()
        start = parse_xmltv_time(self.attrs.get("start", ""))
        raw_stop = self.attrs.get("stop")
        stop = parse_xmltv_time(raw_stop) if raw_stop is not None else None
        title = self._pick("title")
        if not channel:
            return self.stats.skip("no channel")
        if start is None:
            return self.stats.skip("bad start time")
        if raw_stop is not None and stop is None:
            return self.stats.skip("bad stop time")
        if title is None:
            return self.stats.skip("no title")
        previous = self.open_programmes.pop(channel, None)
        if previous is not None:
            self._emit(channel, previous[0], start, previous[1], previous[2])
        if stop is None:
            self.open_programmes[channel] = (start, title, self._pick("desc"))
        else:
            self._emit(channel, start, stop, title, self._pick("desc"))

    def _emit(
        self, channel: str, start: datetime, stop: datetime, title: str, desc: str | None
    ) -> None:
        if stop <= start:
            return self.stats.skip("stop not after start")
        if self.since is not None and stop < self.since:
            self.stats.old += 1
            return
        self.stats.programmes += 1
        self.out.append(ProgrammeRecord(channel, start, stop, title, desc))

    def finish(self) -> None:
        for _ in self.open_programmes:
            self.stats.skip("no stop and no later programme")
        self.open_programmes.clear()


def _parser(builder: _GuideBuilder) -> DefusedXMLParser:
    # The defused parser installs the entity/DTD guards on its expat object; the element
    # callbacks go straight to the builder, skipping ElementTree's per-event Python layer.
    parser = DefusedXMLParser(target=object(), forbid_dtd=False)
    expat: Any = parser.parser
    expat.StartElementHandler = builder.start
    expat.EndElementHandler = builder.end
    expat.CharacterDataHandler = builder.data
    expat.buffer_size = 1 << 16
    return parser


def _sniffed(head: bytes) -> bytes:
    if looks_like_html(head):
        raise BadResponse("the guide URL returned an HTML page instead of XMLTV")
    return head


async def iter_guide(
    chunks: AsyncIterator[bytes],
    *,
    since: datetime | None = None,
    languages: Sequence[str] = (),
    stats: GuideStats | None = None,
) -> AsyncIterator[GuideChannel | ProgrammeRecord]:
    """Channels and programmes in document order; programmes ending before `since` dropped.

    `languages` ranks title/description languages; otherwise the first one wins.
    """
    stats = stats if stats is not None else GuideStats()
    builder = _GuideBuilder(since, languages, stats)
    parser = _parser(builder)
    head: bytes | None = b""  # sniffed for an HTML error page, then None
    try:
        async for chunk in inflate(chunks):
            if head is not None:
                head += chunk
                if len(head) < 512:
                    continue
                chunk, head = _sniffed(head), None
            parser.feed(chunk)
            if builder.out:
                for record in builder.out:
                    yield record
                builder.out = []
        if head:
            parser.feed(_sniffed(head))
        parser.close()
    except ParseError as exc:
        raise BadResponse(f"the guide is not well-formed XMLTV ({exc})") from None
    except DefusedXmlException:
        raise BadResponse("the guide declares XML entities, which are refused for safety") from None
    except _NotXmltv as exc:
        raise BadResponse(f"the guide is not XMLTV: {exc}") from None
    builder.finish()
    for record in builder.out:
        yield record
    if stats.broken:
        log.warning("guide: skipped %d broken entries %s", stats.broken, stats.reasons)


async def iter_programmes(
    chunks: AsyncIterator[bytes],
    *,
    since: datetime | None = None,
    languages: Sequence[str] = (),
    stats: GuideStats | None = None,
) -> AsyncIterator[ProgrammeRecord]:
    """Only the programmes of a guide (for callers that match channels by id alone)."""
    async for record in iter_guide(chunks, since=since, languages=languages, stats=stats):
        if isinstance(record, ProgrammeRecord):
            yield record
