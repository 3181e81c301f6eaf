"""Schema head, the asset store (dedup, refcounts, collection) and the DB response cache."""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from reel.catalog.db import Database
from reel.catalog.migrate import MIGRATIONS, _config, status
from reel.metadata.assets import AssetStore
from reel.metadata.dbcache import DbCache

PNG = b"\x89PNG\r\n\x1a\n" + b"poster"


def test_one_head_and_tables_exist(db: Database) -> None:
    script = ScriptDirectory.from_config(_config(db.engine))
    assert len(script.get_heads()) == 1
    assert status(db.engine).up_to_date
    tables = set(inspect(db.engine).get_table_names())
    assert {"local_files", "field_locks", "assets", "asset_refs", "metadata_cache",
            "item_metadata"} <= tables  # fmt: skip
    assert MIGRATIONS.is_dir()


def _item(db: Database) -> list[int]:
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO sources (name, kind, settings, enabled, auto_sync, "
                "sync_interval_s, status, sync_state, created_at) VALUES "
                "('s', 'local', '{}', true, true, 60, 'ok', '{}', CURRENT_TIMESTAMP)"
            )
        )
        sid = conn.execute(text("SELECT id FROM sources")).scalar_one()
        ids = []
        for n in range(2):
            conn.execute(text(
                "INSERT INTO items (source_id, remote_id, type, title, sort_key, search_title, "
                "search_text, genres, added_at, artwork, stream, extra, content_hash, "
                "created_at, modified_at) VALUES (:s, :r, 'movie', 't', 't', 't', 't', '[]', "
                "CURRENT_TIMESTAMP, '{}', '{}', '{}', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                {"s": sid, "r": f"r{n}"})  # fmt: skip
        ids = list(conn.execute(text("SELECT id FROM items ORDER BY id")).scalars())
    return ids


def test_assets_dedup_refcount_and_collect(db: Database, tmp_path: Path) -> None:
    store = AssetStore(tmp_path / "assets")
    a, b = _item(db)
    with db.engine.begin() as conn:
        first = store.put(conn, PNG, "http://x/p.png")
        second = store.put(conn, PNG)
        assert first == second
        store.ref(conn, a, "poster", first)
        store.ref(conn, b, "poster", first)
        other = store.put(conn, b"\xff\xd8\xff" + b"fanart")
        store.ref(conn, a, "fanart", other)
        assert store.refcount(conn, first) == 2
    path = store.file_for(db.engine.connect(), a, "poster")
    assert path is not None and path.read_bytes() == PNG
    assert path.relative_to(tmp_path / "assets").parts[:2] == (path.name[:2], path.name[2:4])
    assert path.suffix == ".png"
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM items WHERE id = :i"), {"i": a})
        assert store.refcount(conn, first) == 1
        assert store.collect(conn) == 1  # the fanart only `a` used
        conn.execute(text("DELETE FROM items WHERE id = :i"), {"i": b})
        assert store.collect(conn) == 1
    assert not path.exists()


async def test_db_cache_expiry_and_long_keys(db: Database) -> None:
    cache = DbCache(db.engine)
    await cache.set("k", b"v1", 60)
    await cache.set("k", b"v2", 60)
    assert await cache.get("k") == b"v2"
    long_key = "tmdb:search/movie?query=" + "x" * 2000
    await cache.set(long_key, b"long", 60)
    assert await cache.get(long_key) == b"long"
    await cache.set("old", b"v", -1)
    assert await cache.get("old") is None
    assert cache.purge_expired() == 1
