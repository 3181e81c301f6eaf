"""Hand edits and the post-sync lock overlay read the item before writing it; on SQLite
their transactions hold the write lock from BEGIN, so another connection's commit between
the read and the write cannot fail them with "database is locked"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, select

from reel.catalog.db import Database
from reel.catalog.models import Item, Source
from reel.metadata import edits, overlay
from reel.metadata.hooks import reapply_locks
from reel.testing.catalog_gen import generate_catalog
from tests.sqlite_locks import commit_elsewhere


def a_movie(db: Database) -> tuple[int, int]:
    generate_catalog(db, 60, seed=3)
    with db.session() as session:
        row = session.execute(
            select(Item.id, Item.source_id)
            .join(Source, Source.id == Item.source_id)
            .where(Item.type == "movie", Source.kind == "plex")
            .order_by(Item.id)
        ).first()
    assert row is not None
    return row.id, row.source_id


def test_set_field_and_unlock(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    item_id, _ = a_movie(sqlite_db)
    landed: list[bool] = []
    read_item = edits._item

    def read_then_let_another_commit(conn: Connection, wanted: int) -> Any:
        row = read_item(conn, wanted)
        landed.append(commit_elsewhere(tmp_path / "reel.db"))
        return row

    monkeypatch.setattr(edits, "_item", read_then_let_another_commit)
    edits.set_field(sqlite_db, item_id, "title", "Mine")
    assert edits.unlock(sqlite_db, item_id, "title")
    assert landed == [False, False]  # nothing slipped in between the read and the write
    with sqlite_db.session() as session:
        assert session.get(Item, item_id).title == "Mine"  # type: ignore[union-attr]


def test_reapply_locks(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    item_id, source_id = a_movie(sqlite_db)
    edits.set_field(sqlite_db, item_id, "title", "Mine")
    with sqlite_db.engine.begin() as conn:  # a sync rewrote the row from the server
        conn.execute(Item.__table__.update().where(Item.id == item_id).values(title="Theirs"))
    landed: list[bool] = []
    apply = overlay.apply

    def let_another_commit_then_apply(conn: Connection, ids: Any) -> list[int]:
        landed.append(commit_elsewhere(tmp_path / "reel.db"))
        return apply(conn, ids)

    monkeypatch.setattr(overlay, "apply", let_another_commit_then_apply)
    assert reapply_locks(sqlite_db, source_id) == 1
    assert landed == [False]
    with sqlite_db.session() as session:
        assert session.get(Item, item_id).title == "Mine"  # type: ignore[union-attr]


def test_edits_on_both_databases(db: Database) -> None:
    item_id, source_id = a_movie(db)
    edits.set_field(db, item_id, "year", "1999")
    assert edits.locks(db, item_id) == {"year": 1999}
    assert reapply_locks(db, source_id) == 0  # already laid
    assert edits.unlock(db, item_id, "year")
    assert not edits.unlock(db, item_id, "year")
