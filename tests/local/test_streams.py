"""Stream details from ffprobe in the post-sync pass: stored, kept, re-probed on change,
written into NFOs, and skipped cleanly without ffprobe. Real ffmpeg makes the clips."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text

from reel.catalog.db import Database
from reel.config import Settings
from reel.metadata import probe
from reel.metadata.hooks import after_sync
from reel.metadata.identify import Identifier
from reel.services.sources import SourceService
from reel.sync.engine import SyncEngine
from tests.local.conftest import add_local, one, touch

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="needs ffmpeg/ffprobe (Debian's ffmpeg package)",
)

ALIEN = "Alien (1979)/Alien (1979).mkv"
UNKNOWN = "Unknown Picture Nobody Made (1911).mkv"


def clip(path: Path, seconds: int = 2, size: str = "320x240") -> Path:
    """A real h264 + aac Matroska file: ffmpeg's test pattern and a sine tone."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc=duration={seconds}:size={size}:rate=10",
         "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
         "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest",
         "-metadata:s:a:0", "language=eng", str(path)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return path


class Counter:
    """Counts ffprobe runs by wrapping the probe the pass calls."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[Path] = []
        real = probe.probe_file

        def counted(path: Path, timeout_s: float = 30.0) -> probe.Probed:
            self.paths.append(path)
            return real(path, timeout_s)

        monkeypatch.setattr(probe, "probe_file", counted)


async def sync(engine: SyncEngine, db: Database, settings: Settings, ident: Identifier) -> None:
    result = await engine.sync("nas")
    assert result.ok, result.error
    report = await after_sync(db, settings, "nas", ident)
    assert report is not None


async def test_probe_once_per_file_version_and_nfo_streamdetails(
    db: Database, service: SourceService, engine: SyncEngine, media: Path,
    identifier: Identifier, settings: Settings, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    counter = Counter(monkeypatch)
    clip(media / ALIEN)
    unknown = clip(media / UNKNOWN)
    touch(media, "Broken Thing (1950).mkv", b"not a video at all")
    await add_local(service, media, write_nfo=True)
    await sync(engine, db, settings, identifier)
    assert len(counter.paths) == 3
    item = one(db, "type = 'movie' AND year = 1911")
    details = item.extra["stream_details"]
    assert details["video"][0]["codec"] == "h264"
    assert (details["video"][0]["width"], details["video"][0]["height"]) == (320, 240)
    assert details["audio"][0]["codec"] == "aac" and details["audio"][0]["language"] == "eng"
    assert details["container"] == "matroska"
    assert 1900 <= item.duration_ms <= 2200  # unidentified: the file's own duration
    broken = one(db, "type = 'movie' AND year = 1950")
    assert "stream_details" not in broken.extra and broken.extra["probe_key"]
    # The NFO Reel writes for the enriched film carries Kodi's stream details.
    alien = one(db, "type = 'movie' AND year = 1979")
    assert alien.extra["status"] == "enriched"
    nfo = (media / ALIEN).with_suffix(".nfo").read_text()
    assert "<fileinfo>" in nfo and "<streamdetails>" in nfo
    assert "<codec>h264</codec>" in nfo and "<width>320</width>" in nfo
    assert "<codec>aac</codec>" in nfo and "<language>eng</language>" in nfo

    # A rescan with nothing changed probes nothing, not even the unreadable file.
    await sync(engine, db, settings, identifier)
    assert len(counter.paths) == 3
    # A rescan that rewrites the rows (hashes cleared, as an unlock does) gets the
    # details back from the cache without running ffprobe.
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE items SET content_hash = ''"))
    assert (await engine.sync("nas")).ok
    assert "stream_details" not in one(db, "type = 'movie' AND year = 1911").extra
    await after_sync(db, settings, "nas", identifier)
    assert len(counter.paths) == 3
    assert one(db, "type = 'movie' AND year = 1911").extra["stream_details"] == details

    # A changed file is probed again (only that one), and its row follows.
    clip(unknown, seconds=3, size="640x360")
    await sync(engine, db, settings, identifier)
    assert counter.paths[3:] == [unknown]
    again = one(db, "type = 'movie' AND year = 1911").extra["stream_details"]
    assert (again["video"][0]["width"], again["video"][0]["height"]) == (640, 360)
    assert 2900 <= again["duration_s"] * 1000 <= 3200


async def test_without_ffprobe_sync_succeeds_without_details(
    db: Database, service: SourceService, engine: SyncEngine, media: Path,
    identifier: Identifier, settings: Settings, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    monkeypatch.setattr(probe, "ffprobe_path", lambda: None)
    monkeypatch.setattr(probe, "_warned_missing", False)
    counter = Counter(monkeypatch)
    clip(media / UNKNOWN)
    await add_local(service, media)
    with caplog.at_level("INFO", logger="reel.metadata.probe"):
        await sync(engine, db, settings, identifier)
        await sync(engine, db, settings, identifier)
    item = one(db, "type = 'movie'")
    assert "stream_details" not in item.extra and "probe_key" not in item.extra
    assert item.duration_ms is None and counter.paths == []
    missing = [r for r in caplog.records if "ffprobe not found" in r.message]
    assert len(missing) == 1 and missing[0].levelname == "INFO"
    # ffprobe installed later: the next pass adds the details.
    monkeypatch.setattr(probe, "ffprobe_path", lambda: shutil.which("ffprobe"))
    await sync(engine, db, settings, identifier)
    assert counter.paths and one(db, "type = 'movie'").extra["stream_details"]["video"]
