"""Fake IPTV playlist server: M3U / M3U Plus playlists, XMLTV guides and streams.

Serves what real providers serve, quirks included:
- `/playlist.m3u`: a generic M3U Plus playlist (stream URLs carry a rotating `?token=`,
  VOD marked with `tvg-type`, series with `Series | …` group titles);
- `/get.php?username=&password=&type=m3u_plus|m3u&output=ts|m3u8`: an Xtream panel's
  playlist (stream URLs `/live|movie|series/<user>/<pass>/<id>.<ext>`, or `/<user>/<pass>/
  <id>` without `output`, as classic panels write them);
- `/epg.xml`, `/epg.xml.gz`, `/xmltv.php?username=&password=`: the XMLTV guide;
- the stream URLs themselves, with HTTP Range support.
Quirks (on by default): UTF-8 BOM, CRLF line ends, entries without attributes, unquoted
attributes, quotes and commas in titles, `#EXTGRP`/`#KODIPROP` lines, garbage lines, every
script under the sun; guides with several title languages, times with and without zone
or seconds, programmes without `stop`, and a few broken programmes.
Faults (switch at runtime through `fake.faults`): 5xx, slow, truncated, reset, html, empty,
auth (a 200 `INVALID_CREDENTIALS` body), optionally for the first N requests only.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from reel.testing.fakes import FakeServer

WORDS = [
    "News", "Sport", "Кино", "ニュース", "Música", "Ελληνικά", "中文台", "Télé", "Ñandú",
    "Україна", "हिन्दी", "العربية", "Žilina", "Ísland", "🎬 Cinema", "Kids", "Doku", "Østfold",
]  # fmt: skip
GROUPS = ["News", "Sport", "Kids", "Música", "Кино", "Documentaries", "中文", "Radio"]
GENRES = ["Action", "Drama", "Comedy", "Animação", "Ужасы"]
FAULTS = ("5xx", "slow", "truncated", "reset", "html", "empty", "auth")


@dataclass
class FakeM3uConfig:
    """Size and flavour of the fake catalog; same config and seed, same bytes."""

    channels: int = 30
    vod: int = 10
    series: int = 3
    seasons: int = 2
    episodes: int = 3
    programmes_per_channel: int = 8
    username: str = "user"
    password: str = "pass"
    seed: int = 1
    quirks: bool = True
    guide_start: datetime | None = None  # default: 06:00 UTC yesterday
    stream_size: int = 256 * 1024


@dataclass
class Faults:
    """Runtime fault switches; `only` limits them to "playlist", "guide" or "stream"."""

    mode: str | None = None
    remaining: int | None = None  # fault this many requests, then behave
    delay: float = 2.0
    only: str | None = None
    hits: int = 0

    def take(self, area: str) -> str | None:
        if self.mode is None or (self.only is not None and self.only != area):
            return None
        if self.remaining is not None:
            if self.remaining <= 0:
                return None
            self.remaining -= 1
        self.hits += 1
        return self.mode


@dataclass
class Entry:
    """One playlist entry as the fake panel stores it."""

    id: int
    kind: str  # channel | movie | episode
    name: str
    group: str
    tvg_id: str = ""
    year: int | None = None
    show: str = ""
    season: int = 0
    episode: int = 0
    radio: bool = False


@dataclass
class FakeM3u:
    """The fake panel: its catalog, mutation helpers and fault switches."""

    config: FakeM3uConfig = field(default_factory=FakeM3uConfig)
    faults: Faults = field(default_factory=Faults)
    requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.config.seed)
        self.token = 1
        self.next_id = 1
        self.entries: list[Entry] = []
        self.add_channels(self.config.channels)
        for _ in range(self.config.vod):
            i = self._id()
            name = f"{self._name()} {i}"
            genre = self.rng.choice(GENRES)
            self.entries.append(Entry(i, "movie", name, f"VOD | {genre}", year=1950 + i % 75))
        for s in range(1, self.config.series + 1):
            show = f"{self._name()} Show {s}"
            for season in range(1, self.config.seasons + 1):
                for ep in range(1, self.config.episodes + 1):
                    entry = Entry(
                        self._id(), "episode", show, f"Series | {self.rng.choice(GENRES)}"
                    )
                    entry.show, entry.season, entry.episode = show, season, ep
                    self.entries.append(entry)
        start = self.config.guide_start
        if start is None:
            today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
            start = today - timedelta(hours=18)
        self.guide_start = start
        self.app = build_app(self)

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def _name(self) -> str:
        return " ".join(self.rng.sample(WORDS, 2))

    # -- mutations for incremental tests ------------------------------------------------
    def add_channels(self, count: int) -> list[Entry]:
        added = []
        for _ in range(count):
            i = self._id()
            group = GROUPS[i % len(GROUPS)]
            tvg_id = "" if i % 10 == 0 else f"ch{i}.fake"
            entry = Entry(
                i, "channel", f"{self._name()} {i}", group, tvg_id, radio=group == "Radio"
            )
            self.entries.append(entry)
            added.append(entry)
        return added

    def find(self, entry_id: int) -> Entry:
        return next(e for e in self.entries if e.id == entry_id)

    def remove(self, entry_id: int) -> None:
        self.entries.remove(self.find(entry_id))

    def rename(self, entry_id: int, name: str) -> None:
        self.find(entry_id).name = name

    def regroup(self, entry_id: int, group: str) -> None:
        self.find(entry_id).group = group

    def shuffle(self) -> None:
        self.rng.shuffle(self.entries)

    def rotate_tokens(self) -> None:
        """New stream tokens in /playlist.m3u (and a new password if `password` given)."""
        self.token += 1

    @property
    def channels(self) -> list[Entry]:
        return [e for e in self.entries if e.kind == "channel"]

    # -- rendering -------------------------------------------------------------------
    def title(self, entry: Entry) -> str:
        if entry.kind == "movie":
            return f"{entry.name} ({entry.year})"
        if entry.kind == "episode":
            return f"{entry.show} S{entry.season:02d} E{entry.episode:02d}"
        if self.config.quirks and entry.id % 11 == 0:
            return f'{entry.name} "Live", HD'
        return entry.name

    def stream_path(self, entry: Entry, xtream: bool, output: str) -> str:
        ext = {"channel": "ts", "movie": "mkv", "episode": "mp4"}[entry.kind]
        if entry.kind == "channel" and output in ("m3u8", "hls"):
            ext = "m3u8"
        folder = {"channel": "live", "movie": "movie", "episode": "series"}[entry.kind]
        if not xtream:
            return f"/stream/{folder}/{entry.id}.{ext}?token=t{self.token}x{entry.id}"
        user, password = self.config.username, self.config.password
        if entry.kind == "channel" and not output:
            return f"/{user}/{password}/{entry.id}"
        return f"/{folder}/{user}/{password}/{entry.id}.{ext}"

    def playlist_lines(self, base: str, *, xtream: bool, plus: bool, output: str) -> Iterator[str]:
        quirks = self.config.quirks
        guide = f"{base}/epg.xml"
        if xtream:
            guide = (
                f"{base}/xmltv.php?username={self.config.username}&password={self.config.password}"
            )
        yield ("\ufeff" if quirks else "") + f'#EXTM3U url-tvg="{guide}" x-tvg-url="{guide}"'
        if quirks:
            yield ""
            yield "this line is not part of any entry"
        for entry in self.entries:
            title = self.title(entry)
            url = base + self.stream_path(entry, xtream, output)
            if not plus or (quirks and entry.id % 10 == 0):
                yield f"#EXTINF:-1,{title}"
                yield url
                continue
            logo = f"{base}/logos/{entry.id}.png"
            attrs = {"tvg-id": entry.tvg_id, "tvg-name": title, "tvg-logo": logo}
            if entry.kind == "channel":
                attrs["tvg-chno"] = str(entry.id)
                if entry.radio:
                    attrs["radio"] = "true"
                if entry.id % 7 == 0:
                    attrs.update({"catchup": "default", "catchup-days": "3"})
            elif entry.kind == "movie" and not xtream:
                attrs["tvg-type"] = "movie"
            if quirks and entry.kind == "channel" and entry.id % 13 == 0:
                yield f"#EXTGRP:{entry.group}"
                yield f"#EXTINF:-1 tvg-id={entry.tvg_id} tvg-chno={entry.id},{title}"
                yield "#KODIPROP:inputstream.adaptive.manifest_type=hls"
                yield url
                yield "#EXTGRP:"
                continue
            attrs["group-title"] = entry.group
            text = " ".join(f'{k}="{v}"' for k, v in attrs.items())
            duration = "-1" if entry.kind == "channel" else "0"
            yield f"#EXTINF:{duration} {text},{title}"
            if quirks and entry.id % 17 == 0:
                yield "#EXTVLCOPT:http-user-agent=FakePlayer/1.0"
            yield url

    def playlist(
        self, base: str, *, xtream: bool, plus: bool = True, output: str = ""
    ) -> Iterator[bytes]:
        newline = "\r\n" if self.config.quirks else "\n"
        batch: list[str] = []
        for line in self.playlist_lines(base, xtream=xtream, plus=plus, output=output):
            batch.append(line)
            if len(batch) >= 500:
                yield (newline.join(batch) + newline).encode()
                batch = []
        yield (newline.join(batch) + newline).encode()

    def programmes(self, entry: Entry) -> Iterator[tuple[datetime, datetime, dict[str, str], bool]]:
        """(start, stop, titles by language, broken) of one channel's guide."""
        start = self.guide_start
        for n in range(self.config.programmes_per_channel):
            stop = start + timedelta(minutes=(30, 60, 90, 45)[(entry.id + n) % 4])
            titles = {"en": f"Show {n} on {entry.name}"}
            if n % 3 == 0:
                titles = {"de": f"Sendung {n}", **titles}
            # broken ones never sit next to a programme without `stop` (see guide())
            broken = self.config.quirks and (entry.id * 31 + n) % 50 == 0 and n % 5 not in (2, 3)
            yield start, stop, titles, broken
            start = stop

    def guide_id(self, entry: Entry) -> str:
        return entry.tvg_id or f"noid-{entry.id}"

    def guide(self) -> Iterator[bytes]:
        quirks = self.config.quirks
        yield b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE tv SYSTEM "xmltv.dtd">\n'
        yield b'<tv generator-info-name="reel-fake">\n'
        channels = self.channels
        for entry in channels:
            yield (
                f"<channel id={quoteattr(self.guide_id(entry))}><display-name>"
                f"{escape(self.title(entry) if entry.tvg_id else entry.name)}</display-name>"
                f"<icon src={quoteattr(f'/logos/{entry.id}.png')}/></channel>\n"
            ).encode()
        for entry in channels:
            parts = []
            last = self.config.programmes_per_channel - 1
            for n, (start, stop, titles, broken) in enumerate(self.programmes(entry)):
                start_s, stop_s = _xmltv_time(start, n, quirks), _xmltv_time(stop, n, quirks)
                if broken:
                    start_s = "not a time"
                stop_attr = "" if quirks and n % 5 == 2 and n != last else f' stop="{stop_s}"'
                names = "".join(
                    f"<title lang={quoteattr(lang)}>{escape(text)}</title>"
                    for lang, text in titles.items()
                )
                channel = quoteattr(self.guide_id(entry))
                parts.append(
                    f'<programme start="{start_s}"{stop_attr} channel={channel}>'
                    f"{names}<desc>Beschreibung &amp; description {n}</desc></programme>\n"
                )
            yield "".join(parts).encode()
        yield b"</tv>\n"


def _xmltv_time(when: datetime, n: int, quirks: bool) -> str:
    if not quirks or n % 4 == 0:
        return when.strftime("%Y%m%d%H%M%S +0000")
    if n % 4 == 1:
        return (when + timedelta(hours=2)).strftime("%Y%m%d%H%M%S +0200")
    if n % 4 == 2:
        return when.strftime("%Y%m%d%H%M%S")
    return (when - timedelta(hours=5)).strftime("%Y%m%d%H%M -0500")


async def _faulty(fake: FakeM3u, area: str, body: Iterator[bytes], media_type: str) -> Response:
    fault = fake.faults.take(area)
    if fault == "slow":
        await asyncio.sleep(fake.faults.delay)
    elif fault == "5xx":
        return Response("temporarily unavailable", status_code=503)
    elif fault == "html":
        return Response("<html><body>Service suspended</body></html>", media_type="text/html")
    elif fault == "empty":
        return Response(b"", media_type=media_type)
    elif fault == "auth":
        return Response(b"INVALID_CREDENTIALS", media_type="text/plain")
    elif fault in ("truncated", "reset"):
        return _Broken(b"".join(body), media_type, reset=fault == "reset")
    return StreamingResponse(body, media_type=media_type)


class _Broken(Response):
    """Announces the whole body, sends half, then drops the connection."""

    def __init__(self, body: bytes, media_type: str, reset: bool) -> None:
        super().__init__(body, media_type=media_type)
        self.reset = reset

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        headers = self.raw_headers
        if self.reset:  # chunked, cut mid-stream
            headers = [(k, v) for k, v in headers if k != b"content-length"]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send(
            {
                "type": "http.response.body",
                "body": self.body[: len(self.body) // 2],
                "more_body": True,
            }
        )
        raise ConnectionResetError("fake connection reset")


def _account_ok(fake: FakeM3u, request: Request) -> bool:
    q = request.query_params
    return q.get("username") == fake.config.username and q.get("password") == fake.config.password


def build_app(fake: FakeM3u) -> Starlette:
    """The ASGI app of a fake panel."""

    def base(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    async def playlist(request: Request) -> Response:
        fake.requests.append(request.url.path)
        return await _faulty(
            fake, "playlist", fake.playlist(base(request), xtream=False), "audio/x-mpegurl"
        )

    async def get_php(request: Request) -> Response:
        fake.requests.append(request.url.path)
        if not _account_ok(fake, request):
            return Response(b"", status_code=401)
        q = request.query_params
        body = fake.playlist(
            base(request),
            xtream=True,
            plus=q.get("type", "m3u_plus") == "m3u_plus",
            output=q.get("output", ""),
        )
        return await _faulty(fake, "playlist", body, "audio/x-mpegurl")

    async def epg(request: Request) -> Response:
        fake.requests.append(request.url.path)
        if request.url.path == "/xmltv.php" and not _account_ok(fake, request):
            return Response(b"", status_code=401)
        if request.url.path.endswith(".gz"):
            return await _faulty(fake, "guide", _gzipped(fake.guide()), "application/gzip")
        return await _faulty(fake, "guide", fake.guide(), "application/xml")

    async def stream(request: Request) -> Response:
        p = request.path_params
        token, user = request.query_params.get("token"), p.get("user")
        stream_id = int(p["file"].split(".")[0]) if p["file"].split(".")[0].isdigit() else -1
        if user is not None and (user, p["password"]) != (
            fake.config.username,
            fake.config.password,
        ):
            return Response(status_code=401)
        if user is None and token != f"t{fake.token}x{stream_id}":
            return Response(status_code=403)
        if not any(e.id == stream_id for e in fake.entries):
            return Response(status_code=404)
        fault = fake.faults.take("stream")
        if fault == "5xx":
            return Response(status_code=503)
        return _ranged(request, _stream_bytes(stream_id, fake.config.stream_size))

    routes = [
        Route("/playlist.m3u", playlist),
        Route("/get.php", get_php),
        Route("/epg.xml", epg),
        Route("/epg.xml.gz", epg),
        Route("/xmltv.php", epg),
        Route("/stream/{folder}/{file}", stream),
        Route("/{folder:str}/{user}/{password}/{file}", stream),
        Route("/{user}/{password}/{file}", stream),
    ]
    return Starlette(routes=routes)


def _gzipped(chunks: Iterator[bytes]) -> Iterator[bytes]:
    packer = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    for chunk in chunks:
        if out := packer.compress(chunk):
            yield out
    yield packer.flush()


def _stream_bytes(stream_id: int, size: int) -> bytes:
    pattern = f"reel-fake-stream-{stream_id}\n".encode()
    return (pattern * (size // len(pattern) + 1))[:size]


def _ranged(request: Request, data: bytes) -> Response:
    """A byte-range answer as media servers give it (one range; 416 when unsatisfiable)."""
    size = len(data)
    headers = {"Accept-Ranges": "bytes"}
    spec = request.headers.get("range", "")
    if not spec.startswith("bytes=") or "," in spec:
        return Response(data, media_type="video/mp2t", headers=headers)
    first, _, last = spec[len("bytes=") :].partition("-")
    try:
        if first:
            start, end = int(first), int(last) if last else size - 1
        else:
            start, end = max(0, size - int(last)), size - 1
    except ValueError:
        return Response(data, media_type="video/mp2t", headers=headers)
    end = min(end, size - 1)
    if start >= size or start > end:
        return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return Response(
        data[start : end + 1], status_code=206, media_type="video/mp2t", headers=headers
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--channels", type=int, default=200)
    parser.add_argument("--vod", type=int, default=100)
    parser.add_argument("--series", type=int, default=10)
    parser.add_argument("--programmes-per-channel", type=int, default=24)
    parser.add_argument("--username", default="user")
    parser.add_argument("--password", default="pass")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-quirks", action="store_true")
    parser.add_argument("--fault", choices=FAULTS, default=None)


def create(args: argparse.Namespace, base_url: str) -> FakeServer:
    config = FakeM3uConfig(
        channels=args.channels, vod=args.vod, series=args.series,
        programmes_per_channel=args.programmes_per_channel, username=args.username,
        password=args.password, seed=args.seed, quirks=not args.no_quirks,
    )  # fmt: skip
    fake = FakeM3u(config, Faults(mode=args.fault))
    account = f"username={config.username}&password={config.password}"
    return FakeServer(
        fake.app,
        {
            "url": f"{base_url}/get.php?{account}&type=m3u_plus&output=ts",
            "epg": f"{base_url}/xmltv.php?{account}",
            "plain_url": f"{base_url}/playlist.m3u",
            "plain_epg": f"{base_url}/epg.xml.gz",
        },
    )
