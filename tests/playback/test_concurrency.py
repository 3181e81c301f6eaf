"""Concurrent watch-state writes: many players reporting at once, next to another writer.

On SQLite a transaction that reads before it writes fails at once with "database is
locked" when another writer committed in between; progress reports from several threads
did exactly that. They must all land, on both databases.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from reel.catalog.db import Database
from reel.catalog.models import Item, PlaybackState, Source
from reel.catalog.users import resolve_user
from reel.playback import state as state_module
from reel.playback.state import PlaybackService
from reel.testing.catalog_gen import generate_catalog

THREADS = 8
ROUNDS = 12


def _movies(db: Database, n: int) -> tuple[int, list[int]]:
    generate_catalog(db, 200, seed=4)
    with db.session() as session:
        owner = resolve_user(session).id
        ids = list(
            session.scalars(
                select(Item.id)
                .join(Source, Source.id == Item.source_id)
                .where(Item.type == "movie", Source.kind == "local")
                .order_by(Item.id)
                .limit(n)
            )
        )
    assert len(ids) == n
    return owner, ids


def _hammer(db: Database, playback: PlaybackService, owner: int, ids: list[int]) -> list[str]:
    """THREADS players report ROUNDS positions each (first reports race to insert), while
    another connection keeps committing small writes. Returns the errors seen."""
    errors: list[str] = []
    stop = threading.Event()

    def other_writer() -> None:
        while not stop.is_set():
            with db.engine.begin() as conn:
                conn.execute(update(Source).values(status=Source.status))

    def player(k: int) -> None:
        for r in range(ROUNDS):
            try:
                # Two threads per item: their first reports race to insert its row.
                playback.set_position(owner, ids[k % len(ids)], 1000 * (r + 1), 10**7)
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}")

    background = threading.Thread(target=other_writer)
    background.start()
    try:
        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(player, range(THREADS)))
    finally:
        stop.set()
        background.join()
    return errors


def test_concurrent_progress_reports_all_land(db: Database) -> None:
    owner, ids = _movies(db, THREADS // 2)
    playback = PlaybackService(db)
    errors = _hammer(db, playback, owner, ids)
    assert errors == []
    with db.session() as session:
        positions = dict(
            session.execute(
                select(PlaybackState.item_id, PlaybackState.position_ms).where(
                    PlaybackState.user_id == owner
                )
            ).all()
        )
    assert positions == {i: ROUNDS * 1000 for i in ids}


def test_without_claiming_the_lock_sqlite_fails(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The test above would catch the bug: reading first, SQLite refuses the write."""
    owner, ids = _movies(sqlite_db, THREADS // 2)
    deferred: Callable[[Engine], Any] = lambda engine: engine.begin()  # noqa: E731
    monkeypatch.setattr(state_module, "writing", deferred)  # a plain BEGIN, lock claimed late
    errors = _hammer(sqlite_db, PlaybackService(sqlite_db), owner, ids)
    assert any("database is locked" in e for e in errors), errors[:3]
