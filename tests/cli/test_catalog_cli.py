"""The command-line contract for search/items/show/db, run as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reel.catalog.db import Database
from reel.testing.catalog_gen import generate_catalog


def reel(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reel.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> dict[str, str]:
    generate_catalog(Database(db_url), 600, seed=5)
    return {**os.environ, "REEL_DATA_DIR": str(tmp_path / "data"), "REEL_DATABASE_URL": db_url}


def test_search_json_shape(env: dict[str, str]) -> None:
    result = reel(env, "search", "godf", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) >= {"items", "next"}
    first = data["items"][0]
    assert first["title"] == "The Godfather"
    for key in ("id", "type", "title", "year", "source", "parent_id", "season", "episode", "ids",
                "played", "position_ms", "play_count"):  # fmt: skip
        assert key in first
    assert first["ids"]["tmdb"] == "238"


def test_items_pages_and_show_children(env: dict[str, str]) -> None:
    page1 = json.loads(reel(env, "items", "--type", "show", "--limit", "2", "--json").stdout)
    assert len(page1["items"]) == 2 and page1["next"]
    page2 = json.loads(
        reel(
            env, "items", "--type", "show", "--limit", "2", "--after", page1["next"], "--json"
        ).stdout
    )
    assert {i["id"] for i in page1["items"]}.isdisjoint({i["id"] for i in page2["items"]})
    shown = json.loads(reel(env, "show", str(page1["items"][0]["id"]), "--json").stdout)
    assert shown["children"] and shown["children"][0]["type"] == "season"
    assert shown["children"][0]["children"][0]["type"] == "episode"


def test_errors_are_one_line_on_stderr(env: dict[str, str]) -> None:
    result = reel(env, "show", "999999", "--json")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip() == "error: no item with id 999999"
    bad = reel(env, "items", "--after", "garbage")
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "cursor" in bad.stderr


def test_db_status_and_upgrade(env: dict[str, str]) -> None:
    assert reel(env, "db", "upgrade").returncode == 0
    status = json.loads(reel(env, "db", "status", "--json").stdout)
    assert status["up_to_date"] is True and status["pending"] == []


def test_default_sqlite_in_data_dir(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "REEL_DATABASE_URL"}
    result = reel(env, "--data-dir", str(tmp_path / "d"), "search", "anything", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"items": [], "next": None}
    assert (tmp_path / "d" / "reel.db").exists()
