"""`reel source add|login|test` and `reel sync` for Plex and Jellyfin, as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reel.testing.fakes.jellyfin import FakeJellyfin, FakeJellyfinConfig
from reel.testing.fakes.plex import FakePlex, FakePlexConfig, build
from reel.testing.server import serve_in_thread

SIZES: dict[str, Any] = {"movies": 12, "shows": 2, "seasons": 1, "episodes": 3}


class Reel:
    """`python -m reel.cli` in a fresh process with its own data dir."""

    def __init__(self, data_dir: Path, **env: str) -> None:
        self.data_dir = data_dir
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(data_dir), **env}
        self.outputs: list[str] = []

    def run(self, *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "reel.cli", "--data-dir", str(self.data_dir), *args],
            capture_output=True,
            text=True,
            timeout=60,
            env=self.env,
        )
        self.outputs += [proc.stdout, proc.stderr]
        assert proc.returncode == code, (proc.stdout, proc.stderr)
        return proc

    def json(self, *args: str, code: int = 0) -> Any:
        return json.loads(self.run(*args, "--json", code=code).stdout)


@pytest.fixture
def plex() -> Iterator[tuple[FakePlex, str]]:
    fake = build(FakePlexConfig(**SIZES, pin_approve_after=2))
    with serve_in_thread(fake.app) as url:
        fake.advertise(url)
        yield fake, url


def test_plex_login_test_sync_and_sign_in_again(plex: tuple[FakePlex, str], tmp_path: Path) -> None:
    fake, url = plex
    reel = Reel(tmp_path / "data", REEL_PLEX_TV_URL=url)
    login = reel.run("source", "login", "plex", "--poll-interval", "0.05", "--json")
    [created] = json.loads(login.stdout)
    assert (created["name"], created["kind"], created["action"]) == ("Fake Plex", "plex", "added")
    assert (created["connection"], created["connection_kind"]) == (url, "local")
    assert created["owned"] is True and created["status"] == "new"
    assert "code" in login.stderr and "https://app.plex.tv/auth" in login.stderr

    tested = reel.json("source", "test", "Fake Plex")
    assert tested["reachable"] and tested["authenticated"]
    assert tested["details"]["connection"] == url
    assert tested["details"]["connection_kind"] == "local"
    assert isinstance(tested["latency_ms"], float) and tested["latency_ms"] >= 0

    [synced] = reel.json("sync")["sources"]
    assert synced["status"] == "ok" and synced["added"] == {
        "movie": 12,
        "show": 2,
        "season": 2,
        "episode": 6,
    }

    fake.revoke_token()  # the owner signed Reel out on plex.tv
    failed = reel.run("sync", "--json", code=1)
    [entry] = json.loads(failed.stdout)["sources"]
    assert entry["source_status"] == "needs_sign_in" and "sign in" in entry["error"]
    [listed] = reel.json("source", "list")
    assert listed["status"] == "needs_sign_in"
    assert listed["counts"]["movie"] == 12 and listed["counts"]["episode"] == 6

    fake.tokens.add(fake.config.token)  # a new sign-in hands out a working token again
    [again] = reel.json("source", "login", "plex", "--poll-interval", "0.05")
    assert (again["name"], again["action"], again["status"]) == ("Fake Plex", "updated", "ok")
    assert again["counts"]["movie"] == 12  # the catalog survived sign-out and sign-in

    secrets = (fake.config.token, fake.config.account_token)
    assert not any(s in out for out in reel.outputs for s in secrets)


def test_plex_add_with_url_and_token(plex: tuple[FakePlex, str], tmp_path: Path) -> None:
    fake, url = plex
    reel = Reel(tmp_path / "data")
    added = reel.json("source", "add", "plex", "home", "--url", url, "--token", fake.config.token)
    assert (added["name"], added["kind"], added["status"]) == ("home", "plex", "new")
    bad = reel.run("source", "add", "plex", "other", "--url", url, "--token", "nope", code=1)
    assert bad.stderr.startswith("error: ") and len(bad.stderr.strip().splitlines()) == 1
    assert fake.config.token not in "".join(reel.outputs)


def test_jellyfin_add_test_sync(tmp_path: Path) -> None:
    fake = FakeJellyfin(FakeJellyfinConfig(**SIZES))
    cfg = fake.config
    with serve_in_thread(fake.app) as url:
        reel = Reel(tmp_path / "data")
        added = reel.json(
            "source", "add", "jellyfin", "home", "--url", url,
            "--username", cfg.username, "--password", cfg.password,
        )  # fmt: skip
        assert (added["kind"], added["status"]) == ("jellyfin", "new")
        tested = reel.json("source", "test", "home")
        assert tested["authenticated"] and tested["details"]["user"] == cfg.username
        [synced] = reel.json("sync", "home")["sources"]
        assert synced["status"] == "ok" and synced["added"]["episode"] == 6
        fake.data.revoke_tokens()
        tested = reel.json("source", "test", "home", code=1)
        assert tested["reachable"] and not tested["authenticated"]
        assert tested["status"] == "needs_sign_in"
    assert not any(cfg.password in out for out in reel.outputs)
    for path in reel.data_dir.iterdir():
        if path.name != "secret.key":
            assert cfg.password.encode() not in path.read_bytes(), path
