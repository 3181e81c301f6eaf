"""`reel source add local` → `reel sync` → `reel identify` / `match` / `set` / `unlock`,
run as real subprocesses against the fake TMDB on loopback (SQLite; PostgreSQL is
covered by the pipeline tests)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from reel.config import Settings
from tests.local.conftest import touch
from tests.local.test_pipeline import ALIEN


def reel(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reel.cli", *args], capture_output=True,
                          text=True, env=env, timeout=120)  # fmt: skip


def test_cli_identify_set_unlock_match(tmp_path: Path, media: Path, settings: Settings) -> None:
    touch(media, "Alien (1979)/Alien (1979).mkv")
    env = {
        **os.environ,
        "REEL_DATA_DIR": str(tmp_path / "data"),
        "REEL_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "REEL_TMDB_API_KEY": settings.tmdb_api_key or "",
        "REEL_TMDB_API_URL": settings.tmdb_api_url,
        "REEL_TMDB_IMAGE_URL": settings.tmdb_image_url,
    }
    added = reel(env, "source", "add", "local", "nas", "--path", str(media), "--kind", "movies")
    assert added.returncode == 0, added.stderr
    synced = reel(env, "sync", "nas", "--json")
    assert synced.returncode == 0, synced.stderr
    # `reel sync` identifies a local source's new files itself; a second pass finds none.
    out = reel(env, "identify", "--json")
    assert out.returncode == 0, out.stderr
    (report,) = json.loads(out.stdout)["sources"]
    assert report["identified"] == 0 and report["enriched"] == 0
    items = json.loads(reel(env, "items", "--type", "movie", "--json").stdout)["items"]
    (movie,) = items
    assert movie["status"] == "enriched" and movie["ids"]["tmdb"] == str(ALIEN.id)
    assert movie["path"].endswith("Alien (1979).mkv")
    item_id = str(movie["id"])
    done = reel(env, "set", item_id, "year", "1980", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["year"] == 1980
    assert reel(env, "identify", "nas", "--refresh").returncode == 0
    shown = json.loads(reel(env, "show", item_id, "--json").stdout)
    assert shown["year"] == 1980
    bad = reel(env, "set", item_id, "colour", "red")
    assert bad.returncode == 1 and bad.stderr.startswith("error: cannot set 'colour'")
    assert json.loads(reel(env, "unlock", item_id, "year", "--json").stdout)["unlocked"]
    assert json.loads(reel(env, "show", item_id, "--json").stdout)["year"] == 1979
    matched = reel(env, "match", item_id, "--tmdb", str(ALIEN.id + 0), "--json")
    assert matched.returncode == 0, matched.stderr
    assert json.loads(matched.stdout)["status"] == "enriched"
    missing = reel(env, "match", "999999", "--tmdb", "1")
    assert missing.returncode == 1 and "no item" in missing.stderr
