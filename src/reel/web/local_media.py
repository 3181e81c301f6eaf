"""Playback of a local source's files: the file itself with Range, or HLS made by ffmpeg.

A browser plays mp4/webm with h264/vp9/av1 and aac/opus/mp3 natively; everything else
(mkv, avi, ts, hevc, dts…) is transcoded to HLS on demand. The path always comes from the
catalog, never from the client, and is served only when its resolved form lies under one
of the source's library folders, so neither `..` nor a symlink reaches anything else.

Transcodes write into `data_dir/transcode/<item>-<hash>/`; a transcode nobody asked for
in `idle_s` is killed and its folder removed, and at most `max_running` ffmpeg processes
run at once (each takes a core or two; the third viewer waits rather than stalling all).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from reel.catalog.db import Database
from reel.catalog.models import Base
from reel.errors import Forbidden, NotFound, ReelError
from reel.sources.local.adapter import LocalAdapter
from reel.web.adapters import ItemRef
from reel.web.threads import in_thread

log = logging.getLogger(__name__)

ITEMS = Base.metadata.tables["items"]
PLAYLIST = "index.m3u8"
SEGMENT = re.compile(r"\Aseg\d{5}\.ts\Z")
HLS_TIME_S = 4
PLAYLIST_WAIT_S = 20.0
IDLE_S = 300.0
MAX_RUNNING = 2
MIME = "application/vnd.apple.mpegurl"

DIRECT_CONTAINERS = {"mp4": "video/mp4", "m4v": "video/mp4", "webm": "video/webm",
                     "mov": "video/quicktime"}  # fmt: skip
DIRECT_VIDEO = frozenset({"h264", "vp9", "av1"})
DIRECT_AUDIO = frozenset({"aac", "opus", "mp3"})
OTHER_MIME = {"mkv": "video/x-matroska", "avi": "video/x-msvideo", "ts": "video/mp2t",
              "m2ts": "video/mp2t", "wmv": "video/x-ms-wmv", "mpg": "video/mpeg",
              "mpeg": "video/mpeg", "flv": "video/x-flv"}  # fmt: skip


class Unavailable(ReelError):
    """Transcoding cannot happen now (no ffmpeg, all slots busy)."""

    status_code = 503
    retry_after: int | None = None


class TranscodeFailed(ReelError):
    """ffmpeg could not read or convert the file."""

    status_code = 502


class StillStarting(ReelError):
    """ffmpeg runs but has not finished its first segment yet: the player should retry."""

    status_code = 504


# -- which file, and may it be served ---------------------------------------------------


@dataclass(frozen=True)
class LocalFile:
    item_id: int
    path: Path  # resolved: what is opened is what was checked
    part: int
    details: dict[str, Any] | None

    @property
    def ext(self) -> str:
        return self.path.suffix.lower().lstrip(".")


def _extra(db: Database, item_id: int) -> dict[str, Any]:
    with db.engine.connect() as conn:
        extra = conn.execute(select(ITEMS.c.extra).where(ITEMS.c.id == item_id)).scalar()
    return dict(extra or {})


async def local_file(db: Database, adapter: LocalAdapter, item: ItemRef, part: int) -> LocalFile:
    """The item's file (part `part` of a stacked film), checked against the roots."""
    if item.type in ("show", "season"):
        raise ReelError(f"a {item.type} is not playable; play one of its episodes")
    extra = await in_thread(_extra, db, item.id)
    parts = [p for p in extra.get("parts") or [] if isinstance(p, str)]
    if part > max(len(parts), 1):
        raise NotFound(f"item {item.id} has {max(len(parts), 1)} part(s), not {part}")
    # Part 1 is the item's stream path (what the adapter's stream_url serves too).
    raw = str(item.stream.get("path") or "") if part == 1 else parts[part - 1]
    if not raw:
        raise NotFound(f"item {item.id} has no file")
    path = Path(raw)
    if not adapter.within_roots(path):
        log.warning("refused to serve item %d: its file is outside %s's folders", item.id,
                    item.source)  # fmt: skip
        raise Forbidden(f"this file is not under a library folder of {item.source}")
    real = path.resolve()
    if not await in_thread(real.is_file):
        raise NotFound(
            f"the file of item {item.id} is missing: the library folder may be offline "
            "(NAS unplugged or unmounted?) or the file was moved — rescan the source"
        )
    details = extra.get("stream_details")
    return LocalFile(item.id, real, part, details if isinstance(details, dict) else None)


def _first_codec(details: dict[str, Any], kind: str) -> str | None:
    tracks = details.get(kind)
    if isinstance(tracks, list) and tracks and isinstance(tracks[0], dict):
        codec = tracks[0].get("codec")
        return str(codec).lower() if codec else None
    return None


def browser_playable(file: LocalFile) -> bool:
    """Whether <video> plays the file as is. The container comes from the extension
    (ffprobe names mp4 "mov" and webm "matroska"); codecs from stored probe details."""
    if file.ext not in DIRECT_CONTAINERS:
        return False
    if file.details is None:
        return True
    video = _first_codec(file.details, "video")
    audio = _first_codec(file.details, "audio")
    return (video is None or video in DIRECT_VIDEO) and (audio is None or audio in DIRECT_AUDIO)


def mime_of(file: LocalFile) -> str:
    return DIRECT_CONTAINERS.get(file.ext) or OTHER_MIME.get(file.ext) or "application/octet-stream"


def direct_response(file: LocalFile) -> Response:
    """The file with Range (206/416), ETag and Last-Modified, all handled by Starlette."""
    return FileResponse(
        file.path,
        media_type=mime_of(file),
        headers={"Cache-Control": "private, no-cache", "X-Content-Type-Options": "nosniff"},
    )


# -- HLS transcodes ---------------------------------------------------------------------


def default_ffmpeg() -> str:
    return shutil.which("ffmpeg") or "/usr/bin/ffmpeg"


@dataclass
class Job:
    key: str
    folder: Path
    process: asyncio.subprocess.Process
    last_used: float = field(default_factory=time.monotonic)

    @property
    def running(self) -> bool:
        return self.process.returncode is None


class Transcodes:
    """The ffmpeg processes of one app: started on demand, reaped when idle."""

    def __init__(
        self,
        root: Path,
        *,
        ffmpeg: str | None = None,
        max_running: int = MAX_RUNNING,
        idle_s: float = IDLE_S,
        playlist_wait_s: float = PLAYLIST_WAIT_S,
    ) -> None:
        self.root = root
        self.ffmpeg = ffmpeg or default_ffmpeg()
        self.max_running = max_running
        self.idle_s = idle_s
        self.playlist_wait_s = playlist_wait_s
        self.jobs: dict[str, Job] = {}
        self._lock = asyncio.Lock()
        self._reaper: asyncio.Task[None] | None = None
        # Folders left by a previous run hold half-written event playlists: start clean.
        shutil.rmtree(root, ignore_errors=True)

    @staticmethod
    def key(file: LocalFile) -> str:
        """Per item, file version and part: an edited file gets a fresh transcode."""
        try:
            st = file.path.stat()
            stamp = f"{st.st_size}:{st.st_mtime_ns}"
        except OSError:
            stamp = ""
        digest = hashlib.sha256(f"{file.path}\0{stamp}\0{file.part}".encode()).hexdigest()
        return f"{file.item_id}-{digest[:16]}"

    def command(self, source: Path, folder: Path) -> list[str]:
        return [
            self.ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error",
            "-i", str(source),
            "-map", "0:v:0?", "-map", "0:a:0?", "-sn",
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
            "-force_key_frames", f"expr:gte(t,n_forced*{HLS_TIME_S})",
            "-c:a", "aac", "-ac", "2",
            "-f", "hls", "-hls_time", str(HLS_TIME_S), "-hls_playlist_type", "event",
            "-hls_flags", "temp_file",
            "-hls_segment_filename", str(folder / "seg%05d.ts"),
            str(folder / PLAYLIST),
        ]  # fmt: skip

    async def playlist(self, file: LocalFile) -> tuple[str, Path]:
        """Start (or reuse) the file's transcode and wait for its playlist to appear."""
        key = self.key(file)
        async with self._lock:
            job = self.jobs.get(key)
            if job is None:
                job = await self._start(key, file)
            job.last_used = time.monotonic()
        index = job.folder / PLAYLIST
        deadline = time.monotonic() + self.playlist_wait_s
        while not index.is_file():
            if not job.running and not index.is_file():
                await self._drop(key)
                raise TranscodeFailed(f"ffmpeg could not convert this file: {_last_error(job)}")
            if time.monotonic() > deadline:
                raise StillStarting("the conversion for the browser is starting; retry shortly")
            # A request waiting for the first segment is using the job: a slow start (a
            # busy machine, a short idle limit) must not look idle to the reaper.
            job.last_used = time.monotonic()
            await asyncio.sleep(0.1)
        job.last_used = time.monotonic()
        return key, index

    def segment(self, key: str, name: str) -> Path:
        if not SEGMENT.match(name):
            raise NotFound("no such segment")
        job = self.jobs.get(key)
        if job is None:
            raise NotFound("this conversion has ended; reload the playlist")
        path = job.folder / name
        if not path.is_file():
            raise NotFound("this segment is not ready (or no longer kept)")
        job.last_used = time.monotonic()
        return path

    async def _start(self, key: str, file: LocalFile) -> Job:
        if not os.access(self.ffmpeg, os.X_OK):
            raise Unavailable(
                "ffmpeg is not installed (apt install ffmpeg), so this file cannot be "
                "converted for the browser; try ?mode=direct or an external player"
            )
        await self._reap(time.monotonic())
        if sum(j.running for j in self.jobs.values()) >= self.max_running:
            err = Unavailable(
                f"{self.max_running} conversions are already running; try again in a minute"
            )
            err.retry_after = 30
            raise err
        folder = self.root / key
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        with (folder / "ffmpeg.log").open("wb") as errlog:
            process = await asyncio.create_subprocess_exec(
                *self.command(file.path, folder),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=errlog,
            )
        log.info("transcode %s started for item %d (pid %d)", key, file.item_id, process.pid)
        job = Job(key, folder, process)
        self.jobs[key] = job
        if self._reaper is None or self._reaper.done():
            self._reaper = asyncio.create_task(self._reap_loop())
        return job

    async def _reap_loop(self) -> None:
        while self.jobs:
            await asyncio.sleep(max(0.05, min(self.idle_s / 4, 15.0)))
            async with self._lock:
                await self._reap(time.monotonic())

    async def _reap(self, now: float) -> None:
        for key, job in list(self.jobs.items()):
            if now - job.last_used >= self.idle_s:
                log.info("transcode %s idle for %.0fs: stopped", key, now - job.last_used)
                await self._drop(key)

    async def _drop(self, key: str) -> None:
        job = self.jobs.pop(key, None)
        if job is None:
            return
        if job.running:
            with contextlib.suppress(ProcessLookupError):
                job.process.kill()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(job.process.wait(), timeout=5)
        await asyncio.to_thread(shutil.rmtree, job.folder, True)

    async def close(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(BaseException):
                await self._reaper
        for key in list(self.jobs):
            await self._drop(key)


def _last_error(job: Job) -> str:
    try:
        lines = (job.folder / "ffmpeg.log").read_text("utf-8", "replace").strip().splitlines()
    except OSError:
        lines = []
    return lines[-1][-200:] if lines else f"exit status {job.process.returncode}"


def rewrite(text: str, item_id: int, part: int) -> str:
    """Segment names → absolute API paths, so the playlist works from any URL."""
    query = f"?part={part}" if part != 1 else ""
    out = []
    for line in text.splitlines():
        name = line.strip()
        if name and not name.startswith("#"):
            if not SEGMENT.match(name):
                continue  # only names this module serves
            line = f"/api/items/{item_id}/hls/{name}{query}"
        out.append(line)
    return "\n".join(out) + "\n"


async def playlist_response(transcodes: Transcodes, file: LocalFile) -> Response:
    _key, index = await transcodes.playlist(file)
    text = await asyncio.to_thread(index.read_text, "utf-8", "replace")
    return Response(
        rewrite(text, file.item_id, file.part), media_type=MIME,
        headers={"Cache-Control": "no-store"},
    )  # fmt: skip


def segment_response(transcodes: Transcodes, file: LocalFile, name: str) -> Response:
    path = transcodes.segment(transcodes.key(file), name)
    return FileResponse(path, media_type="video/mp2t", headers={"Cache-Control": "no-store"})


def transcodes_of(request: Request) -> Transcodes:
    """The app's transcodes, made on first use (kept on app.state beside the services)."""
    state = request.app.state
    found: Transcodes | None = getattr(state, "transcodes", None)
    if found is None:
        found = Transcodes(state.reel.settings.data_dir / "transcode")
        state.transcodes = found
    return found


async def close_transcodes(app: Any) -> None:
    """Kill every ffmpeg of `app` and remove their folders (for the app's shutdown)."""
    found: Transcodes | None = getattr(app.state, "transcodes", None)
    if found is not None:
        await found.close()
