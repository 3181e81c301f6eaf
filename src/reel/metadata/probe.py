"""Stream details of a media file from ffprobe: duration, container, codecs, languages.

ffprobe is optional (Debian's ffmpeg package); without it, or for a file it cannot
read, the answer is None and scanning goes on. The note about a missing ffprobe is
logged once per process, not once per file.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import msgspec

log = logging.getLogger(__name__)

_TIMEOUT_S = 30.0
_warned_missing = False


class VideoStream(msgspec.Struct, frozen=True):
    codec: str
    width: int | None = None
    height: int | None = None
    aspect: float | None = None
    hdr: bool = False


class AudioStream(msgspec.Struct, frozen=True):
    codec: str
    channels: int | None = None
    language: str | None = None


class SubtitleStream(msgspec.Struct, frozen=True):
    codec: str | None = None
    language: str | None = None
    forced: bool = False


class StreamDetails(msgspec.Struct, frozen=True):
    """What Kodi's `fileinfo/streamdetails` holds, plus the container."""

    duration_s: float | None = None
    container: str | None = None
    video: tuple[VideoStream, ...] = ()
    audio: tuple[AudioStream, ...] = ()
    subtitles: tuple[SubtitleStream, ...] = ()

    @property
    def resolution(self) -> str | None:
        """Kodi's labels: 480/576/720/1080/4K by the frame's width or height."""
        if not self.video or not self.video[0].width or not self.video[0].height:
            return None
        w, h = self.video[0].width, self.video[0].height
        if w >= 3200 or h >= 2000:
            return "4K"
        if w >= 1600 or h >= 900:
            return "1080"
        if w >= 1100 or h >= 700:
            return "720"
        return "576" if h > 480 else "480"


class _FfStream(msgspec.Struct):
    codec_type: str | None = None
    codec_name: str | None = None
    width: int | None = None
    height: int | None = None
    channels: int | None = None
    display_aspect_ratio: str | None = None
    color_transfer: str | None = None
    tags: dict[str, str] = msgspec.field(default_factory=dict)
    disposition: dict[str, int] = msgspec.field(default_factory=dict)


class _FfFormat(msgspec.Struct):
    format_name: str | None = None
    duration: str | None = None


class _FfProbe(msgspec.Struct):
    streams: list[_FfStream] = msgspec.field(default_factory=list)
    format: _FfFormat = msgspec.field(default_factory=_FfFormat)


def _aspect(stream: _FfStream) -> float | None:
    ratio = stream.display_aspect_ratio
    if ratio and ":" in ratio:
        num, _, den = ratio.partition(":")
        if num.isdigit() and den.isdigit() and int(den):
            return round(int(num) / int(den), 3)
    if stream.width and stream.height:
        return round(stream.width / stream.height, 3)
    return None


def _language(stream: _FfStream) -> str | None:
    lang = stream.tags.get("language") or stream.tags.get("LANGUAGE")
    return lang if lang and lang != "und" else None


def parse_ffprobe(data: bytes) -> StreamDetails | None:
    """Stream details from `ffprobe -print_format json -show_format -show_streams` output."""
    try:
        probe = msgspec.json.decode(data, type=_FfProbe)
    except msgspec.DecodeError:
        return None
    video, audio, subs = [], [], []
    for s in probe.streams:
        if s.codec_type == "video" and s.disposition.get("attached_pic") != 1:
            hdr = s.color_transfer in ("smpte2084", "arib-std-b67")
            video.append(VideoStream(s.codec_name or "unknown", s.width, s.height, _aspect(s), hdr))
        elif s.codec_type == "audio":
            audio.append(AudioStream(s.codec_name or "unknown", s.channels, _language(s)))
        elif s.codec_type == "subtitle":
            subs.append(
                SubtitleStream(s.codec_name, _language(s), s.disposition.get("forced") == 1)
            )
    try:
        duration = float(probe.format.duration) if probe.format.duration else None
    except ValueError:
        duration = None
    container = (probe.format.format_name or "").split(",")[0] or None
    return StreamDetails(duration, container, tuple(video), tuple(audio), tuple(subs))


def ffprobe_path() -> str | None:
    """Where ffprobe is; one seam for tests that take it away."""
    return shutil.which("ffprobe")


def available() -> bool:
    """Whether ffprobe is there; says so once per process when it is not."""
    global _warned_missing
    if ffprobe_path() is not None:
        return True
    if not _warned_missing:
        log.info("ffprobe not found; stream details are skipped (install ffmpeg to add them)")
        _warned_missing = True
    return False


def _command(path: Path) -> list[str] | None:
    exe = ffprobe_path() if available() else None
    if exe is None:
        return None
    return [exe, "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)]


ProbeStatus = Literal["ok", "unreadable", "failed", "missing"]


@dataclass(frozen=True)
class Probed:
    """A probe's outcome. Callers remember "ok" and "unreadable" (asking again gives the
    same answer) but retry "failed" (timeout, I/O error: a NAS may be slow or
    unplugged) and "missing" (ffmpeg may be installed later)."""

    status: ProbeStatus
    details: StreamDetails | None = None


def probe_file(path: Path, timeout_s: float = _TIMEOUT_S) -> Probed:
    """Run ffprobe on `path` (blocking) and say how it went."""
    cmd = _command(path)
    if cmd is None:
        return Probed("missing")
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("ffprobe failed on %s: %s", path.name, exc)
        return Probed("failed")
    if done.returncode != 0:
        if not path.is_file():
            log.info("ffprobe: %s is not there (library folder offline?)", path.name)
            return Probed("failed")
        log.info("ffprobe could not read %s", path.name)
        return Probed("unreadable")
    details = parse_ffprobe(done.stdout)
    return Probed("ok", details) if details is not None else Probed("unreadable")


def probe(path: Path, timeout_s: float = _TIMEOUT_S) -> StreamDetails | None:
    """Stream details of `path`, or None without ffprobe or for an unreadable file."""
    return probe_file(path, timeout_s).details


async def aprobe(path: Path, timeout_s: float = _TIMEOUT_S) -> StreamDetails | None:
    """`probe` without blocking the event loop."""
    cmd = _command(path)
    if cmd is None:
        return None
    try:
        proc = await asyncio.create_subprocess_exec(
            *cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
        )
    except OSError as exc:
        log.warning("ffprobe failed on %s: %s", path.name, exc)
        return None
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout_s)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        log.warning("ffprobe timed out on %s", path.name)
        return None
    return parse_ffprobe(out) if proc.returncode == 0 else None
