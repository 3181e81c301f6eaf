"""The fake panel itself: determinism, quirks, Range streams, auth and the CLI hook."""

from __future__ import annotations

import argparse
import gzip
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from reel.testing.fakes import m3u as fake_module
from reel.testing.fakes.m3u import FakeM3u, FakeM3uConfig
from reel.testing.server import serve_in_thread


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakeM3u, str]]:
    fake = FakeM3u(FakeM3uConfig(channels=30, vod=3, series=1, stream_size=1000))
    with serve_in_thread(fake.app) as url:
        yield fake, url


def test_same_seed_same_bytes_and_quirks_present() -> None:
    config = FakeM3uConfig(channels=30, guide_start=datetime(2030, 1, 1, tzinfo=UTC))
    one = b"".join(FakeM3u(config).playlist("http://h", xtream=True))
    two = b"".join(FakeM3u(config).playlist("http://h", xtream=True))
    assert one == two
    text = one.decode()
    assert text.startswith("\ufeff#EXTM3U") and "\r\n" in text
    assert "#EXTGRP:" in text and "#KODIPROP:" in text and "not part of any entry" in text
    assert '"Live", HD' in text and "tvg-id=ch13.fake" in text
    assert b"".join(FakeM3u(config).guide()) == b"".join(FakeM3u(config).guide())


def test_sizes_follow_the_config() -> None:
    fake = FakeM3u(FakeM3uConfig(channels=7, vod=4, series=2, seasons=3, episodes=2))
    kinds = [e.kind for e in fake.entries]
    assert (kinds.count("channel"), kinds.count("movie"), kinds.count("episode")) == (7, 4, 12)


def test_streams_support_ranges(served: tuple[FakeM3u, str]) -> None:
    fake, url = served
    entry = fake.channels[0]
    whole = httpx.get(f"{url}/live/user/pass/{entry.id}.ts")
    assert whole.status_code == 200 and len(whole.content) == 1000
    part = httpx.get(f"{url}/live/user/pass/{entry.id}.ts", headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == whole.content[10:20]
    assert part.headers["content-range"] == "bytes 10-19/1000"
    tail = httpx.get(f"{url}/live/user/pass/{entry.id}.ts", headers={"Range": "bytes=-5"})
    assert tail.content == whole.content[-5:]
    bad = httpx.get(f"{url}/live/user/pass/{entry.id}.ts", headers={"Range": "bytes=5000-"})
    assert bad.status_code == 416
    assert httpx.get(f"{url}/live/user/wrong/{entry.id}.ts").status_code == 401
    assert httpx.get(f"{url}/live/user/pass/999999.ts").status_code == 404


def test_plain_stream_tokens_rotate(served: tuple[FakeM3u, str]) -> None:
    fake, url = served
    entry = fake.channels[0]
    link = url + fake.stream_path(entry, xtream=False, output="")
    assert httpx.get(link).status_code == 200
    fake.rotate_tokens()
    assert httpx.get(link).status_code == 403


def test_guide_endpoints_agree(served: tuple[FakeM3u, str]) -> None:
    _, url = served
    plain = httpx.get(f"{url}/epg.xml").content
    assert gzip.decompress(httpx.get(f"{url}/epg.xml.gz").content) == plain
    assert httpx.get(f"{url}/xmltv.php?username=user&password=pass").content == plain
    assert httpx.get(f"{url}/xmltv.php?username=user&password=no").status_code == 401


def test_get_php_variants(served: tuple[FakeM3u, str]) -> None:
    _, url = served
    account = "username=user&password=pass"
    classic = httpx.get(f"{url}/get.php?{account}&type=m3u_plus").text
    assert f"{url}/user/pass/" in classic and "/movie/user/pass/" in classic
    hls = httpx.get(f"{url}/get.php?{account}&type=m3u_plus&output=m3u8").text
    assert ".m3u8" in hls
    simple = httpx.get(f"{url}/get.php?{account}&type=m3u").text
    assert "tvg-id" not in simple and "#EXTINF:-1," in simple


def test_faults_switch_on_and_heal(served: tuple[FakeM3u, str]) -> None:
    fake, url = served
    fake.faults.mode, fake.faults.remaining = "5xx", 2
    try:
        statuses = [httpx.get(f"{url}/playlist.m3u").status_code for _ in range(3)]
    finally:
        fake.faults.mode, fake.faults.remaining = None, None
    assert statuses == [503, 503, 200]


def test_cli_hook_prints_playlist_and_guide_urls() -> None:
    parser = argparse.ArgumentParser()
    fake_module.add_arguments(parser)
    args = parser.parse_args(["--channels", "3", "--vod", "0", "--series", "0"])
    server = fake_module.create(args, base_url="http://127.0.0.1:1234")
    assert server.credentials["url"].startswith("http://127.0.0.1:1234/get.php?username=")
    assert server.credentials["epg"].startswith("http://127.0.0.1:1234/xmltv.php?")
    assert server.app is not None
