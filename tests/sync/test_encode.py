"""The bulk encoder sends the driver exactly what SQLAlchemy's own processors would."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import event, insert, select

from reel.catalog.db import Database
from reel.catalog.rows import ITEM_COLUMNS
from reel.sync.encode import RowEncoder
from reel.sync.writer import ITEMS

COLUMNS = ("title", "added_at", "updated_at", "genres", "artwork", "year", "overview")

zones = st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=9)), None])
moments = st.builds(
    lambda dt, tz: dt.replace(tzinfo=tz),
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)),
    zones,
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)
rows = st.lists(
    st.tuples(
        st.text(min_size=1, max_size=10),
        moments,
        st.none() | moments,
        st.lists(st.text(max_size=6), max_size=3),
        st.dictionaries(st.sampled_from(["poster", "fanart"]), st.text(max_size=6)) | json_values,
        st.none() | st.integers(1900, 2100),
        st.none() | st.text(max_size=10),
    ),
    min_size=1,
    max_size=12,
)


def _sqlalchemy_params(conn: Any, values: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """What SQLAlchemy itself binds for these rows (its compiled INSERT's processors)."""
    compiled = insert(ITEMS).compile(dialect=conn.dialect, column_keys=list(COLUMNS))
    processors = compiled._bind_processors
    out = []
    for row in values:
        out.append(
            tuple(
                processors[name](value) if name in processors else value
                for name, value in zip(COLUMNS, row, strict=True)
            )
        )
    return out


@settings(max_examples=150, deadline=None)
@given(batch=rows)
def test_encoded_values_equal_sqlalchemy_processing(batch: list[tuple[Any, ...]]) -> None:
    db = Database("sqlite://")
    try:
        with db.engine.connect() as conn:
            encoder = RowEncoder(conn, ITEMS, COLUMNS)
            names, params = encoder.encode_values(batch)
            assert names == COLUMNS
            assert params == _sqlalchemy_params(conn, batch)
    finally:
        db.dispose()


def test_null_columns_are_dropped_only_when_every_row_is_null() -> None:
    db = Database("sqlite://")
    try:
        with db.engine.connect() as conn:
            encoder = RowEncoder(conn, ITEMS, COLUMNS)
            now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
            batch = [("a", now, None, [], {}, None, "x"), ("b", now, None, [], {}, 1999, None)]
            names, params = encoder.encode_values(batch, drop_null=True)
            # updated_at is NULL everywhere and nullable; year/overview are set somewhere;
            # NOT NULL columns are never dropped even if their values were None.
            assert names == ("title", "added_at", "genres", "artwork", "year", "overview")
            assert params == [
                ("a", "2026-01-02 03:04:05.000000", "[]", "{}", None, "x"),
                ("b", "2026-01-02 03:04:05.000000", "[]", "{}", 1999, None),
            ]
            assert encoder.encode_values(batch)[0] == COLUMNS
    finally:
        db.dispose()


def add_source(conn: Any) -> int:
    """A source row for items to belong to; its id."""
    conn.exec_driver_sql(
        "INSERT INTO sources (name, kind, settings, secret, enabled, auto_sync, "
        "sync_interval_s, status, sync_state, created_at) VALUES "
        "('s', 'm3u', '{}', '', true, true, 60, 'ok', '{}', '2026-01-01 00:00:00')"
    )
    return int(conn.exec_driver_sql("SELECT id FROM sources").scalar_one())


def test_every_item_column_round_trips_through_a_bulk_insert(db: Database) -> None:
    """Rows written through the encoder read back as the ORM-level insert's rows."""
    from reel.sync.bulk import BulkWriter

    now = datetime(2026, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    base = dict.fromkeys(ITEM_COLUMNS)
    base.update(
        source_id=None,
        remote_id="r",
        type="movie",
        title="Ærø",
        sort_key="aero",
        search_title="aero",
        search_text="aero",
        genres=["Drama"],
        added_at=now,
        artwork={"poster": "p"},
        stream={},
        extra={"k": [1, 2]},
        content_hash="h",
        created_at=now,
        modified_at=now,
    )
    with db.engine.begin() as conn:
        source_id = add_source(conn)
        one = {**base, "source_id": source_id, "remote_id": "1"}
        two = {**base, "source_id": source_id, "remote_id": "2", "year": 2001}
        conn.execute(insert(ITEMS), [{**one, "remote_id": "0"}])
        bulk = BulkWriter(conn)
        rows = [(10, *one.values()), (11, *two.values())]
        bulk.insert_columns(ITEMS, ("id", *ITEM_COLUMNS), list(zip(*rows, strict=True)))
        got = {
            r.remote_id: r._asdict()
            for r in conn.execute(select(ITEMS).where(ITEMS.c.source_id == source_id))
        }
    reference = {k: v for k, v in got["0"].items() if k not in ("id", "remote_id")}
    for remote_id in ("1", "2"):
        row = {k: v for k, v in got[remote_id].items() if k not in ("id", "remote_id")}
        expected = {**reference, "year": 2001} if remote_id == "2" else reference
        assert row == expected


def test_none_binds_as_null_through_the_registered_adapter() -> None:
    Database("sqlite://").dispose()  # opening a SQLite catalog registers the adapter
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (a)")
    conn.executemany("INSERT INTO t VALUES (?)", [(None,), (1,)])
    assert conn.execute("SELECT typeof(a) FROM t ORDER BY rowid").fetchall() == [
        ("null",),
        ("integer",),
    ]


def test_sqlite_inserts_many_rows_per_statement_within_the_parameter_limit(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows go as multi-row statements, as many as the row cap and the connection's
    parameter limit allow, the last one shorter; every row is stored once, in order."""
    from reel.sync import bulk

    genres = ITEMS.metadata.tables["item_genres"]
    ids = list(range(1, 8))
    monkeypatch.setattr(bulk, "ROWS_PER_STATEMENT", 3)
    for limit, per_statement in ((1000, 3), (5, 2)):  # the cap, then 5 params // 2 columns
        statements: list[int] = []

        def count(_c: Any, _cur: Any, sql: str, params: Any, *_: Any) -> None:
            if sql.startswith("INSERT INTO item_genres"):
                statements.append(len(params) // 2)  # noqa: B023

        event.listen(sqlite_db.engine, "before_cursor_execute", count)
        try:
            with sqlite_db.engine.begin() as conn:
                source_id = add_source(conn)
                for item_id in ids:
                    conn.execute(
                        insert(ITEMS).values(
                            id=item_id, source_id=source_id, remote_id=str(item_id),
                            type="movie", title="t", sort_key="t", search_title="t",
                            search_text="t", content_hash="h",
                        )
                    )  # fmt: skip
                writer = bulk.BulkWriter(conn)
                writer._max_variables = limit
                writer.insert_columns(genres, ("item_id", "genre"), [ids, [f"g{i}" for i in ids]])
                stored = conn.execute(
                    select(genres.c.item_id, genres.c.genre).order_by(genres.c.item_id)
                ).all()
                conn.rollback()
        finally:
            event.remove(sqlite_db.engine, "before_cursor_execute", count)
        assert stored == [(i, f"g{i}") for i in ids]
        whole, rest = divmod(len(ids), per_statement)
        assert statements == [per_statement] * whole + [rest]


def test_updates_set_every_row_through_multi_row_statements(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Updates split over several statements (SQLite: `UPDATE … FROM (VALUES …)`) set each
    row's own values, whatever order its keys come in, and leave other rows alone; the
    full-text trigger sees every retitle."""
    from reel.sync import bulk

    monkeypatch.setattr(bulk, "ROWS_PER_STATEMENT", 2)
    with db.engine.begin() as conn:
        source_id = add_source(conn)
        for item_id in range(1, 7):
            conn.execute(
                insert(ITEMS).values(
                    id=item_id, source_id=source_id, remote_id=str(item_id), type="movie",
                    title=f"old {item_id}", sort_key="old", search_title="old",
                    search_text=f"old{item_id}", content_hash="h", year=1990,
                )
            )  # fmt: skip
        changed = [
            {"year": 2000 + i, "id": i, "search_text": f"new{i}", "title": f"new {i}"}
            for i in (5, 1, 3, 4, 2)
        ]
        bulk.BulkWriter(conn).update(ITEMS, changed)
        stored = conn.execute(
            select(ITEMS.c.id, ITEMS.c.title, ITEMS.c.year, ITEMS.c.search_text).order_by(
                ITEMS.c.id
            )
        ).all()
        if conn.dialect.name == "sqlite":
            found = conn.exec_driver_sql(
                "SELECT rowid FROM items_fts WHERE items_fts MATCH 'new*' ORDER BY rowid"
            ).scalars()
            assert list(found) == [1, 2, 3, 4, 5]
    assert stored == [
        (1, "new 1", 2001, "new1"),
        (2, "new 2", 2002, "new2"),
        (3, "new 3", 2003, "new3"),
        (4, "new 4", 2004, "new4"),
        (5, "new 5", 2005, "new5"),
        (6, "old 6", 1990, "old6"),
    ]
