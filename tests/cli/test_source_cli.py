"""`reel source …` and `reel sync` as scripts use them: real processes, JSON on stdout,
one-line errors on stderr, exit codes, and credentials nowhere in sight."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reel.cli.main import main
from reel.testing.fakes.xtream import XtreamFake, XtreamFakeConfig
from tests.xtream_panel import xtream_panel

PLAYLIST = """#EXTM3U
#EXTINF:-1 tvg-id="alpha.tv" group-title="News",Alpha News
http://example.invalid/alpha.ts
#EXTINF:-1 tvg-id="beta.tv" group-title="Sport",Beta Sport
http://example.invalid/beta.ts
"""
PASSWORD = "pw-Zq8!x"


class Reel:
    """Runs `reel` in this process through its real entry point (`main`), the way a shell
    would, capturing stdout/stderr and the exit code; `process=True` spawns a real one."""

    def __init__(self, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.data_dir = data_dir
        self.capsys = capsys
        self.outputs: list[str] = []

    def __call__(self, *args: str, code: int = 0, process: bool = False) -> Result:
        argv = ["--data-dir", str(self.data_dir), *args]
        if process:
            proc = subprocess.run(
                [sys.executable, "-m", "reel.cli", *argv],
                capture_output=True,
                text=True,
                timeout=60,
                env={"PATH": "/usr/bin:/bin", "HOME": str(self.data_dir)},
            )
            result = Result(proc.returncode, proc.stdout, proc.stderr)
        else:
            result = self._in_process(argv)
        self.outputs += [result.stdout, result.stderr]
        assert result.code == code, result
        return result

    def _in_process(self, argv: list[str]) -> Result:
        self.capsys.readouterr()
        old = sys.argv
        sys.argv = ["reel", *argv]
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        finally:
            sys.argv = old
        out, err = self.capsys.readouterr()
        return Result(code, out, err)

    def json(self, *args: str, code: int = 0) -> Any:
        return json.loads(self(*args, "--json", code=code).stdout)


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def reel(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Reel:
    return Reel(tmp_path / "data", capsys)


@pytest.fixture
def panel() -> Iterator[XtreamFake]:
    with xtream_panel(XtreamFakeConfig(live=20, vod=30, series=5, password=PASSWORD)) as fake:
        yield fake


def test_m3u_source_lifecycle(reel: Reel, tmp_path: Path) -> None:
    playlist = tmp_path / "tv.m3u"
    playlist.write_text(PLAYLIST)
    added = reel.json("source", "add", "m3u", "tv", "--url", str(playlist))
    assert (added["name"], added["kind"], added["status"]) == ("tv", "m3u", "new")
    summary = reel.json("sync")
    assert summary == {
        "sources": [
            {
                "name": "tv",
                "status": "ok",
                "error": None,
                "added": {"channel": 2},
                "updated": {},
                "removed": {},
                "duration_s": summary["sources"][0]["duration_s"],
                "kind": "full",
                "source_status": "ok",
            }
        ]
    }
    [listed] = reel.json("source", "list")
    assert {k: listed[k] for k in ("name", "kind", "status", "last_error", "counts")} == {
        "name": "tv",
        "kind": "m3u",
        "status": "ok",
        "last_error": None,
        "counts": {"movie": 0, "show": 0, "season": 0, "episode": 0, "channel": 2},
    }
    assert listed["last_sync"]
    assert reel.json("source", "test", "tv")["reachable"] is True
    found = reel.json("search", "alpha")
    assert [i["title"] for i in found["items"]] == ["Alpha News"]
    changed = reel.json("source", "set", "tv", "--interval", "30", "--no-auto-sync")
    assert (changed["sync_interval_s"], changed["auto_sync"]) == (1800, False)
    reel("source", "remove", "tv")
    assert reel.json("source", "list") == []


def test_xtream_credentials_never_shown(reel: Reel, panel: XtreamFake) -> None:
    url, user = panel.config.public_url, panel.config.username
    reel.json(
        "source", "add", "xtream", "iptv", "--url", url, "--username", user, "--password", PASSWORD
    )
    synced = reel("sync", "iptv", "--json", process=True)  # one real process end to end
    result = json.loads(synced.stdout)["sources"][0]
    assert result["status"] == "ok" and result["added"]["movie"] == panel.catalog.count("vod")
    tested = reel.json("source", "test", "iptv")
    assert tested["authenticated"] is True and tested["details"]
    reel("source", "list")
    assert not any(PASSWORD in out for out in reel.outputs)
    for path in reel.data_dir.iterdir():
        if path.name != "secret.key":
            assert PASSWORD.encode() not in path.read_bytes(), path


def test_failures_are_one_line_with_exit_codes(reel: Reel, panel: XtreamFake) -> None:
    url, user = panel.config.public_url, panel.config.username
    bad = reel(
        "source",
        "add",
        "xtream",
        "iptv",
        "--url",
        url,
        "--username",
        user,
        "--password",
        "wrong",
        code=1,
    )
    assert bad.stderr.strip().splitlines() == [bad.stderr.strip()]
    assert bad.stderr.startswith("error: ") and "Traceback" not in bad.stderr
    assert reel.json("source", "list") == []
    reel(
        "source", "add", "xtream", "iptv", "--url", url, "--username", user, "--password", PASSWORD
    )
    panel.faults.set("html")
    failed = reel("sync", "--json", code=1)
    [entry] = json.loads(failed.stdout)["sources"]
    assert entry["status"] == "failed" and "HTML" in entry["error"]
    assert failed.stderr.strip() == f"error: sync of iptv failed: {entry['error']}"
    [listed] = reel.json("source", "list")
    assert (listed["status"], listed["last_error"]) == ("error", entry["error"])
    missing = reel("sync", "nope", code=1)
    assert missing.stderr == "error: no source named 'nope' (see `reel source list`)\n"
    reel("source", "remove", "nope", code=1)
    dup = reel("source", "add", "m3u", "iptv", "--url", "/nonexistent.m3u", code=1)
    assert "already exists" in dup.stderr


def test_show_fetches_an_xtream_series_episodes_on_first_open(
    reel: Reel, panel: XtreamFake
) -> None:
    url, user = panel.config.public_url, panel.config.username
    reel.json(
        "source", "add", "xtream", "iptv", "--url", url, "--username", user, "--password", PASSWORD
    )
    reel.json("sync")
    show = reel.json("items", "--type", "show", "--limit", "1")["items"][0]
    opened = reel.json("show", str(show["id"]))
    assert opened["children"], "seasons were fetched on first open"
    assert all(s["type"] == "season" and s["children"] for s in opened["children"])
    episodes = [e for s in opened["children"] for e in s["children"]]
    assert all(e["type"] == "episode" and e["episode"] is not None for e in episodes)
    # stored: a second open reads the catalog, even with the panel failing
    panel.faults.set("error")
    again = reel.json("show", str(show["id"]))
    assert [e["id"] for s in again["children"] for e in s["children"]] == [
        e["id"] for e in episodes
    ]
