"""Stream details with ffprobe, and graceful degradation without it."""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reel.metadata import probe as probe_mod
from reel.metadata.probe import aprobe, parse_ffprobe, probe

SAMPLE = b"""{"streams": [
 {"codec_type": "video", "codec_name": "h264", "width": 1920, "height": 800,
  "display_aspect_ratio": "12:5", "tags": {"language": "und"}},
 {"codec_type": "video", "codec_name": "mjpeg", "disposition": {"attached_pic": 1}},
 {"codec_type": "audio", "codec_name": "ac3", "channels": 6, "tags": {"language": "eng"}},
 {"codec_type": "subtitle", "codec_name": "subrip", "tags": {"LANGUAGE": "fre"},
  "disposition": {"forced": 1}}],
 "format": {"format_name": "matroska,webm", "duration": "5400.250000"}}"""


def test_parse_ffprobe_output() -> None:
    details = parse_ffprobe(SAMPLE)
    assert details is not None
    assert (details.duration_s, details.container, details.resolution) == (
        5400.25,
        "matroska",
        "1080",
    )
    assert [(v.codec, v.aspect) for v in details.video] == [("h264", 2.4)]
    assert [(a.codec, a.channels, a.language) for a in details.audio] == [("ac3", 6, "eng")]
    assert [(s.language, s.forced) for s in details.subtitles] == [("fre", True)]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_parse_ffprobe_never_raises(data: bytes) -> None:
    parse_ffprobe(data)


def test_missing_ffprobe_gives_none_and_one_note(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    monkeypatch.setattr(probe_mod.shutil, "which", lambda _name: None)
    monkeypatch.setattr(probe_mod, "_warned_missing", False)
    caplog.set_level(logging.INFO, logger="reel.metadata.probe")
    assert probe(tmp_path / "a.mkv") is None
    assert probe(tmp_path / "b.mkv") is None
    assert sum("ffprobe not found" in r.message for r in caplog.records) == 1


def test_unreadable_file_gives_none(tmp_path: Path) -> None:
    if shutil.which("ffprobe") is None:
        pytest.skip("ffprobe is not installed")
    bogus = tmp_path / "bogus.mkv"
    bogus.write_bytes(b"not a video")
    assert probe(bogus) is None


@pytest.fixture(scope="module")
def tiny_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:
        pytest.skip("ffmpeg is not installed")
    out = tmp_path_factory.mktemp("probe") / "tiny.mkv"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=5:duration=1",
         "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:v", "mpeg4", "-c:a", "mp2",
         "-metadata:s:a:0", "language=ger", "-shortest", "-y", str(out)],
        check=True, timeout=60,
    )  # fmt: skip
    return out


def test_probe_real_file(tiny_video: Path) -> None:
    details = probe(tiny_video)
    assert details is not None and details.container == "matroska"
    assert [(v.codec, v.width, v.height) for v in details.video] == [("mpeg4", 320, 240)]
    assert [(a.codec, a.language) for a in details.audio] == [("mp2", "ger")]
    assert details.duration_s is not None and 0.5 < details.duration_s < 2.0


async def test_aprobe_real_file(tiny_video: Path) -> None:
    details = await aprobe(tiny_video)
    assert details is not None and details.video[0].width == 320
