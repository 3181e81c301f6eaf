"""`reel user add`, `reel watched`, `reel progress` and `reel guide` as real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from reel.catalog.db import Database
from reel.catalog.models import Item, Programme, Source
from reel.testing.catalog_gen import generate_catalog


def reel_process(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reel.cli", *args],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "REEL_DATA_DIR": str(tmp_path / "data"), "REEL_DATABASE_URL": db_url}


@pytest.fixture
def reel(
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """The `reel` entry point run in this process (exit code, stdout, stderr), which is what
    a subprocess would see minus a second of start-up per call."""
    from reel.cli.main import main

    def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
        capfd.readouterr()
        with monkeypatch.context() as patch:
            for key in ("REEL_PASSWORD", "REEL_USER"):
                patch.delenv(key, raising=False)
            for key, value in env.items():
                if key.startswith("REEL_"):
                    patch.setenv(key, value)
            patch.setattr(sys, "argv", ["reel", *args])
            try:
                main()
                code = 0
            except SystemExit as exc:
                code = int(exc.code or 0)
        out, err = capfd.readouterr()
        return subprocess.CompletedProcess(list(args), code, out, err)

    return run


Reel = Callable[..., subprocess.CompletedProcess[str]]


def test_user_add_and_watch_state(env: dict[str, str], db_url: str, reel: Reel) -> None:
    db = Database(db_url)
    generate_catalog(db, 120, seed=3)
    with db.session() as session:
        movie = session.scalar(
            select(Item.id)
            .join(Source, Source.id == Item.source_id)
            .where(Item.type == "movie", Source.kind == "local", Item.duration_ms.is_not(None))
            .order_by(Item.id)
        )
    db.dispose()
    added = reel(
        {**env, "REEL_PASSWORD": "long enough pw"}, "user", "add", "ann", "--admin", "--json"
    )
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["is_admin"] is True
    dup = reel({**env, "REEL_PASSWORD": "long enough pw"}, "user", "add", "ann")
    assert dup.returncode == 1 and dup.stderr.startswith("error: a user named 'ann'")

    progress = reel(env, "progress", str(movie), "60000", "--json")
    assert progress.returncode == 0, progress.stderr
    assert json.loads(progress.stdout)["position_ms"] == 60000
    shown = json.loads(reel(env, "show", str(movie), "--json").stdout)
    assert shown["position_ms"] == 60000 and shown["played"] is False
    watched = json.loads(reel(env, "watched", str(movie), "--json").stdout)
    assert watched["played"] is True and watched["play_count"] == 1
    assert json.loads(reel(env, "show", str(movie), "--json").stdout)["played"] is True
    unwatched = json.loads(reel(env, "watched", str(movie), "--unwatched", "--json").stdout)
    assert unwatched["played"] is False and unwatched["position_ms"] == 0
    missing = reel(env, "watched", "999999999")
    assert missing.returncode == 1 and missing.stderr.strip() == "error: no item with id 999999999"


def test_guide_json_shape(env: dict[str, str], db_url: str, reel: Reel) -> None:
    db = Database(db_url)
    generate_catalog(db, 60, seed=3)
    start = datetime(2030, 5, 1, 20, tzinfo=UTC)
    with db.session() as session:
        channel = session.execute(
            select(Item.id, Item.epg_id, Item.source_id, Item.title)
            .where(Item.type == "channel")
            .order_by(Item.id)
        ).first()
    assert channel is not None
    with db.engine.begin() as conn:
        conn.execute(
            insert(Programme),
            [{"source_id": channel.source_id, "channel_key": channel.epg_id, "title": f"Show {k}",
              "start": start + timedelta(minutes=30 * k),
              "stop": start + timedelta(minutes=30 * (k + 1))} for k in range(10)],
        )  # fmt: skip
    db.dispose()
    result = reel(
        env, "guide", str(channel.id), "--at", "2030-05-01T21:00:00Z", "--hours", "1", "--json"
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    (only,) = data["channels"]
    assert only["id"] == channel.id and only["title"] == channel.title
    assert [p["title"] for p in only["programmes"]] == ["Show 2", "Show 3"]
    assert only["programmes"][0]["start"] == "2030-05-01T21:00:00Z"
