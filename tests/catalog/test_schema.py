"""Migrations, pragmas and cascades on a fresh database of each kind."""

from __future__ import annotations

from sqlalchemy import func, inspect, select, text

from reel.catalog import migrate
from reel.catalog.db import Database
from reel.catalog.models import Item, Source
from reel.catalog.rows import item_row
from reel.sources.records import ItemRecord


def test_migrations_are_applied_and_idempotent(db: Database) -> None:
    status = migrate.status(db.engine)
    assert status.up_to_date and status.current == status.head
    migrate.upgrade(db.engine)  # a second run is a no-op
    tables = set(inspect(db.engine).get_table_names())
    assert {"sources", "libraries", "categories", "items", "programmes", "playback_state",
            "sync_runs", "settings", "users", "item_genres"} <= tables  # fmt: skip


def test_sqlite_pragmas(db: Database) -> None:
    if db.dialect != "sqlite":
        return
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000


def test_removing_a_source_cascades_to_its_items_only(db: Database) -> None:
    with db.session() as session:
        a, b = Source(name="a", kind="m3u"), Source(name="b", kind="m3u")
        session.add_all([a, b])
        session.flush()
        for source in (a, b):
            show = Item(
                **item_row(
                    ItemRecord(remote_id="1", type="show", title="Show"), source_id=source.id
                )
            )
            session.add(show)
            session.flush()
            session.add(Item(**item_row(ItemRecord(remote_id="2", type="season", title="S1"),
                                        source_id=source.id, parent_id=show.id)))  # fmt: skip
    with db.session() as session:
        session.delete(session.scalar(select(Source).where(Source.name == "a")))
    with db.session() as session:
        remaining = session.execute(
            select(Item.source_id, func.count()).group_by(Item.source_id)
        ).all()
        assert [(n) for _, n in remaining] == [2]
        if db.dialect == "sqlite":  # the FTS index followed the cascade
            n = session.execute(
                text("SELECT count(*) FROM items_fts WHERE items_fts MATCH 'show'")
            ).scalar()
            assert n == 1


def test_search_index_follows_title_updates(db: Database) -> None:
    from reel.catalog.search import SearchQuery, search

    with db.session() as session:
        source = Source(name="s", kind="m3u")
        session.add(source)
        session.flush()
        item = Item(
            **item_row(
                ItemRecord(remote_id="1", type="movie", title="Old Name"), source_id=source.id
            )
        )
        session.add(item)
    with db.session() as session:
        row = session.get(Item, item.id)
        assert row is not None
        new = item_row(
            ItemRecord(remote_id="1", type="movie", title="Brand New"), source_id=source.id
        )
        row.title, row.search_title, row.search_text = (
            new["title"],
            new["search_title"],
            new["search_text"],
        )
    with db.session() as session:
        assert [i.title for i in search(session, SearchQuery("brand")).items] == ["Brand New"]
        assert search(session, SearchQuery("old name")).items == []


def test_fresh_database_url_creates_directories(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "deep" / "dir" / "reel.db"
    Database(f"sqlite:///{path}").dispose()
    assert path.exists()


SPARSE = {
    "ix_items_category_sort": "category_id",
    "ix_items_epg": "epg_id",
    "ix_items_parent": "parent_id",
    "ix_items_tmdb": "tmdb_id",
}


def test_sparse_columns_are_indexed_only_where_set(db: Database) -> None:
    """The migrated indexes are partial, as the model declares them."""
    with db.engine.connect() as conn:
        if db.dialect == "sqlite":
            found = dict(
                conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'index'")).all()
            )
        else:
            found = dict(
                conn.execute(
                    text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'items'")
                ).all()
            )
    for name, column in SPARSE.items():
        assert f"WHERE {column} IS NOT NULL" in found[name].replace("(", "").replace(")", "")
    declared = {i.name: i for i in Item.__table__.indexes}
    for name, column in SPARSE.items():
        where = declared[name].dialect_options[db.dialect]["where"]
        assert str(where) == f"{column} IS NOT NULL"


def test_sparse_lookups_use_the_partial_indexes(db: Database) -> None:
    """Each lookup implies its column is set, so SQLite's planner takes the index."""
    if db.dialect != "sqlite":
        return
    queries = {
        "ix_items_category_sort": "SELECT id FROM items WHERE category_id = 3 ORDER BY sort_key",
        "ix_items_parent": "SELECT id FROM items WHERE parent_id IN (1, 2) ORDER BY season",
        "ix_items_tmdb": "SELECT id FROM items WHERE tmdb_id = '603'",
        "ix_items_epg": "SELECT id FROM items WHERE epg_id = 'bbc1.uk'",
    }
    with db.engine.connect() as conn:
        for name, sql in queries.items():
            plan = " ".join(r[-1] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
            assert name in plan, (sql, plan)
        counts = "SELECT category_id, count(*) FROM items WHERE category_id IS NOT NULL GROUP BY 1"
        plan = " ".join(r[-1] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {counts}"))
        assert "ix_items_category_sort" in plan, plan
