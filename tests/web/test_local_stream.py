"""Playback of a local source's files: direct with Range, HLS through ffmpeg, confinement
to the library folders, and the transcodes' lifecycle (idle reaping, missing ffmpeg)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from reel.catalog.models import Base
from reel.web.local_media import Transcodes, close_transcodes

from .conftest import services_of

FFMPEG = shutil.which("ffmpeg")
needs_ffmpeg = pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed")
ITEMS = Base.metadata.tables["items"]


def _make_video(path: Path, *codec: str) -> None:
    assert FFMPEG is not None
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [FFMPEG, "-nostdin", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", "testsrc=duration=2:size=160x120:rate=10",
         "-f", "lavfi", "-i", "sine=duration=2:frequency=440",
         *codec, "-shortest", str(path)],
        check=True, timeout=60,
    )  # fmt: skip


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """A 2-second mp4 (h264/aac, plays directly) and mkv (mpeg4/mp3, needs HLS)."""
    if FFMPEG is None:
        pytest.skip("ffmpeg is not installed")
    folder = tmp_path_factory.mktemp("clips")
    _make_video(folder / "a.mp4", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac")
    _make_video(folder / "b.mkv", "-c:v", "mpeg4", "-c:a", "libmp3lame")
    return {"mp4": (folder / "a.mp4").read_bytes(), "mkv": (folder / "b.mkv").read_bytes()}


@pytest.fixture
def library(tmp_path: Path, clips: dict[str, bytes]) -> Path:
    root = tmp_path / "media"
    films = {
        "Plain Film (2010)/Plain Film (2010).mp4": clips["mp4"],
        "Boxed Film (2011)/Boxed Film (2011).mkv": clips["mkv"],
        "Stacked Film (2012)/Stacked Film (2012) cd1.mp4": b"part one " * 100,
        "Stacked Film (2012)/Stacked Film (2012) cd2.mp4": b"part two " * 100,
    }
    for rel, data in films.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    (tmp_path / "secret.mp4").write_bytes(b"not for you")
    return root


@pytest.fixture
async def films(
    app: FastAPI, admin: httpx.AsyncClient, library: Path
) -> AsyncIterator[dict[str, dict[str, Any]]]:
    """The library added and scanned through the API; movies by title."""
    added = await admin.post(
        "/api/sources",
        json={"kind": "local", "name": "Films", "settings": {"paths": [str(library)]}},
    )
    assert added.status_code == 201, added.text
    assert (await admin.post("/api/sync", json={"sources": ["Films"]})).status_code == 202
    await services_of(app).syncs.wait()
    page = (await admin.get("/api/items", params={"type": "movie", "source": "Films"})).json()
    yield {item["title"]: item for item in page["items"]}
    await close_transcodes(app)


def _set_path(app: FastAPI, item_id: int, path: str, parts: list[str] | None = None) -> None:
    values: dict[str, Any] = {"stream": {"path": path}}
    if parts is not None:
        values["extra"] = {"parts": parts}
    with services_of(app).db.engine.begin() as conn:
        conn.execute(update(ITEMS).where(ITEMS.c.id == item_id).values(**values))


async def test_direct_play_with_range(
    admin: httpx.AsyncClient, films: dict[str, dict[str, Any]], clips: dict[str, bytes]
) -> None:
    film = films["Plain Film"]
    url = f"/api/items/{film['id']}/stream"
    whole = await admin.get(url)
    assert whole.status_code == 200 and whole.content == clips["mp4"]
    assert whole.headers["content-type"] == "video/mp4"
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["etag"] and whole.headers["last-modified"]
    part = await admin.get(url, headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206
    assert part.content == clips["mp4"][100:1100]
    assert part.headers["content-range"] == f"bytes 100-1099/{len(clips['mp4'])}"
    tail = await admin.get(url, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == clips["mp4"][-10:]
    beyond = await admin.get(url, headers={"Range": f"bytes={len(clips['mp4']) + 5}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(clips['mp4'])}"
    play = (await admin.get(f"/api/items/{film['id']}/play")).json()
    assert play["mode"] == "direct" and play["mime"] == "video/mp4"
    assert play["url"] == f"/api/items/{film['id']}/stream?mode=direct"


async def test_stacked_parts(admin: httpx.AsyncClient, films: dict[str, dict[str, Any]]) -> None:
    film = films["Stacked Film"]
    url = f"/api/items/{film['id']}/stream"
    assert (await admin.get(url, params={"mode": "direct"})).content == b"part one " * 100
    second = await admin.get(url, params={"mode": "direct", "part": 2})
    assert second.content == b"part two " * 100
    third = await admin.get(url, params={"mode": "direct", "part": 3})
    assert third.status_code == 404 and "2 part(s)" in third.json()["error"]


async def test_unauthenticated_is_401(
    anon: httpx.AsyncClient, films: dict[str, dict[str, Any]]
) -> None:
    item_id = films["Plain Film"]["id"]
    for path in ("stream", "hls/index.m3u8", "hls/seg00000.ts"):
        response = await anon.get(f"/api/items/{item_id}/{path}")
        assert response.status_code == 401, path
        assert response.json() == {"error": "sign in first"}


async def test_files_outside_the_roots_are_refused(
    app: FastAPI, admin: httpx.AsyncClient, films: dict[str, dict[str, Any]], library: Path
) -> None:
    item_id = films["Plain Film"]["id"]
    link = library / "Plain Film (2010)" / "link.mp4"
    link.symlink_to(library.parent / "secret.mp4")
    for path in (str(library / ".." / "secret.mp4"), str(link), "/etc/passwd"):
        _set_path(app, item_id, path)
        for endpoint in ("stream", "hls/index.m3u8"):
            response = await admin.get(f"/api/items/{item_id}/{endpoint}")
            assert response.status_code == 403, (path, endpoint)
            assert "not under a library folder of Films" in response.json()["error"]
            assert b"not for you" not in response.content
    stacked = films["Stacked Film"]["id"]
    first = str(library / "Stacked Film (2012)" / "Stacked Film (2012) cd1.mp4")
    _set_path(app, stacked, first, [first, str(link)])
    assert (await admin.get(f"/api/items/{stacked}/stream", params={"part": 1})).status_code == 200
    second = await admin.get(f"/api/items/{stacked}/stream", params={"part": 2})
    assert second.status_code == 403 and b"not for you" not in second.content


async def test_missing_file_is_404_and_says_offline(
    admin: httpx.AsyncClient, films: dict[str, dict[str, Any]], library: Path
) -> None:
    (library / "Plain Film (2010)" / "Plain Film (2010).mp4").unlink()
    response = await admin.get(f"/api/items/{films['Plain Film']['id']}/stream")
    assert response.status_code == 404
    assert "library folder may be offline" in response.json()["error"]


@needs_ffmpeg
async def test_hls_transcode_serves_playlist_and_segments(
    app: FastAPI, admin: httpx.AsyncClient, films: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    item_id = films["Boxed Film"]["id"]
    play = (await admin.get(f"/api/items/{item_id}/play")).json()
    assert play["mode"] == "hls" and play["url"] == f"/api/items/{item_id}/hls/index.m3u8"
    playlist = await admin.get(play["url"])
    assert playlist.status_code == 200, playlist.text
    assert playlist.headers["content-type"].startswith("application/vnd.apple.mpegurl")
    segments = [ln for ln in playlist.text.splitlines() if ln and not ln.startswith("#")]
    assert segments and all(s.startswith(f"/api/items/{item_id}/hls/seg") for s in segments)
    segment = await admin.get(segments[0])
    assert segment.status_code == 200 and segment.content[:1] == b"\x47"  # MPEG-TS sync byte
    # mode=auto on /stream gives the same playlist for a file browsers cannot play
    auto = await admin.get(f"/api/items/{item_id}/stream")
    assert auto.status_code == 200 and "#EXTM3U" in auto.text
    # nothing but segment names reaches the folder
    for name in ("ffmpeg.log", "..%2F..%2Freel.db", "seg00000.ts.tmp", "SEG00000.TS"):
        bad = await admin.get(f"/api/items/{item_id}/hls/{name}")
        assert bad.status_code == 404, name
        assert "error" in bad.json()
    folders = list((tmp_path / "transcode").iterdir())
    assert len(folders) == 1 and folders[0].name.startswith(f"{item_id}-")


@needs_ffmpeg
async def test_idle_transcodes_are_reaped(
    app: FastAPI, admin: httpx.AsyncClient, films: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    transcodes = Transcodes(tmp_path / "transcode", idle_s=0.3)
    app.state.transcodes = transcodes
    item_id = films["Boxed Film"]["id"]
    playlist = await admin.get(f"/api/items/{item_id}/hls/index.m3u8")
    assert playlist.status_code == 200, playlist.text
    (job,) = transcodes.jobs.values()
    assert job.folder.is_dir()
    for _ in range(100):
        if not transcodes.jobs and not job.folder.exists():
            break
        await asyncio.sleep(0.05)
    assert not transcodes.jobs and not job.folder.exists()
    assert job.process.returncode is not None
    gone = await admin.get(f"/api/items/{item_id}/hls/seg00000.ts")
    assert gone.status_code == 404 and "reload the playlist" in gone.json()["error"]


async def test_limits_and_missing_ffmpeg(
    app: FastAPI, admin: httpx.AsyncClient, films: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    item_id = films["Boxed Film"]["id"]
    app.state.transcodes = Transcodes(tmp_path / "transcode", ffmpeg=str(tmp_path / "no-ffmpeg"))
    response = await admin.get(f"/api/items/{item_id}/hls/index.m3u8")
    assert response.status_code == 503 and "ffmpeg is not installed" in response.json()["error"]
    # a file browsers play is still served directly without ffmpeg
    direct = await admin.get(f"/api/items/{films['Plain Film']['id']}/stream")
    assert direct.status_code == 200
    app.state.transcodes = Transcodes(tmp_path / "transcode", max_running=0)
    busy = await admin.get(f"/api/items/{item_id}/hls/index.m3u8")
    assert busy.status_code == 503 and busy.headers["retry-after"] == "30"
