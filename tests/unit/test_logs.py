from __future__ import annotations

import logging

import pytest

from reel.logs import RedactingFilter, redact


@pytest.mark.parametrize(
    ("raw", "secret"),
    [
        ("GET http://p.example/player_api.php?username=bob&password=hunter2&action=x", "hunter2"),
        ("GET http://p.example/live/bob/hunter2/123.ts", "hunter2"),
        ("GET http://p.example/movie/bob/hunter2/9.mkv", "hunter2"),
        ('Authorization: MediaBrowser Client="Reel", Token="abcdef123"', "abcdef123"),
        ("http://srv:32400/library?X-Plex-Token=tok123", "tok123"),
        ("http://bob:hunter2@host/x", "hunter2"),
        ('{"password": "hunter2"}', "hunter2"),
    ],
)
def test_secrets_are_redacted(raw: str, secret: str) -> None:
    assert secret not in redact(raw)


def test_filter_rewrites_formatted_record() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "fetch %s", ("/live/u/pw1/1.ts",), None
    )
    RedactingFilter().filter(record)
    assert "pw1" not in record.getMessage()
