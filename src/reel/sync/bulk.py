"""Bulk statements for big listings: rows go to the driver with no per-row SQLAlchemy work.

An `insert(table)` executemany runs SQLAlchemy's parameter processing for every row and
every column, which for a 130k-item listing cost more than SQLite's own work. Here the
columns' bind processors are looked up once, from the same column types, so the values the
driver receives are exactly the ones SQLAlchemy would have sent; only the per-row
machinery around them is skipped. SQLite gets multi-row statements (below); PostgreSQL
gets `COPY … FROM STDIN` for inserts, which also fires the statement-level triggers that
keep `search_terms` in step, and an executemany for updates. Everything runs on the
caller's connection, inside its transaction.

SQLite inserts and updates go as multi-row statements — `INSERT … VALUES (…), (…), …` and
`UPDATE … FROM (VALUES …)` — rather than an executemany. The driver gives up the
interpreter lock around every statement it steps, and an executemany steps once per row:
while the event loop decodes the next page on another thread, each of those hand-overs
waits for the loop to yield the lock. With hundreds of rows per statement the lock changes
hands once per statement. Next to a busy thread, 20,000 item rows took 5.2 s to insert as an
executemany and 0.16 s as 1,000-row statements; 500 retitled items took 0.5 s to update one
by one and 0.03 s in one statement (0.07 s and 0.016 s with no other thread). SQLite before
3.33 has no `UPDATE … FROM`; there updates stay an executemany.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from itertools import chain
from typing import Any

from sqlalchemy import Connection, Table, func, select, text

from reel.sync.encode import RowEncoder

ROWS_PER_STATEMENT = 1000  # rows of one SQLite INSERT or UPDATE statement, at most
_DEFAULT_VARIABLES = 999  # SQLite's bound-parameter limit before 3.32


def _variable_limit(conn: Connection) -> int:
    """How many parameters one SQLite statement may bind on this connection."""
    raw = conn.connection.driver_connection
    if isinstance(raw, sqlite3.Connection):
        return raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return _DEFAULT_VARIABLES


class BulkWriter:
    """Driver-level inserts and updates for one connection (and so one transaction)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"
        self._mark = "%s" if self.postgres else "?"
        self._encoders: dict[tuple[str, tuple[str, ...]], RowEncoder] = {}
        self._next_ids: dict[str, int] = {}
        self._max_variables = 0 if self.postgres else _variable_limit(conn)
        self._update_from = not self.postgres and sqlite3.sqlite_version_info >= (3, 33)

    def _encoder(self, table: Table, columns: Sequence[str]) -> RowEncoder:
        key = (table.name, tuple(columns))
        encoder = self._encoders.get(key)
        if encoder is None:
            encoder = self._encoders[key] = RowEncoder(self.conn, table, columns)
        return encoder

    def insert(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert rows that all have the same keys (the first row's)."""
        if not rows:
            return
        encoder = self._encoder(table, list(rows[0]))
        self._insert(table, encoder.columns, encoder.encode(rows))

    def insert_columns(
        self, table: Table, columns: Sequence[str], values: Sequence[Sequence[Any]]
    ) -> None:
        """Insert rows given as columns (one sequence of values per name in `columns`),
        with no dict or tuple per row to build first.

        Columns that no row sets are left out of the statement: binding a NULL costs as
        much as binding a value, and an item row has a dozen of them.
        """
        names, params = self._encoder(table, columns).encode_columns(values, drop_null=True)
        if params:
            self._insert(table, names, params)

    def _insert(self, table: Table, columns: Sequence[str], params: list[tuple[Any, ...]]) -> None:
        names = ", ".join(columns)
        if self.postgres:
            raw = self.conn.connection.driver_connection
            assert raw is not None
            with (
                raw.cursor() as cursor,
                cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy,
            ):
                for values in params:
                    copy.write_row(values)
            return
        for rows, flat in self._values(params, len(columns)):
            self.conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES {rows}", flat)

    def _values(
        self, params: Sequence[tuple[Any, ...]], width: int
    ) -> Iterator[tuple[str, tuple[Any, ...]]]:
        """SQLite `VALUES` lists of as many rows as one statement may bind, each with its
        rows' parameters in one flat tuple."""
        row = f"({', '.join([self._mark] * width)})"
        per = max(1, min(ROWS_PER_STATEMENT, self._max_variables // width))
        full = ", ".join([row] * per)
        for start in range(0, len(params), per):
            part = params[start : start + per]
            values = full if len(part) == per else ", ".join([row] * len(part))
            yield values, tuple(chain.from_iterable(part))

    def update(self, table: Table, rows: Sequence[Mapping[str, Any]], key: str = "id") -> None:
        """Set each row's other columns where `key` matches, for rows that all have the same
        keys, `key` among them (SQLite: many rows per `UPDATE … FROM (VALUES …)`)."""
        if not rows:
            return
        columns = [c for c in rows[0] if c != key]
        if not columns:
            return
        params = self._encoder(table, [*columns, key]).encode(rows)
        if self._update_from:
            # The VALUES list's columns are column1, column2, … in SQLite.
            sets = ", ".join(f"{c} = v.column{n}" for n, c in enumerate(columns, 1))
            match = f"{table.name}.{key} = v.column{len(columns) + 1}"
            for values, flat in self._values(params, len(columns) + 1):
                self.conn.exec_driver_sql(
                    f"UPDATE {table.name} SET {sets} FROM (VALUES {values}) AS v WHERE {match}",
                    flat,
                )
            return
        assignments = ", ".join(f"{c} = {self._mark}" for c in columns)
        self.conn.exec_driver_sql(
            f"UPDATE {table.name} SET {assignments} WHERE {key} = {self._mark}", params
        )

    def allocate_ids(self, table: Table, count: int) -> list[int]:
        """Ids for new rows, known before the insert so it needs no RETURNING.

        PostgreSQL hands out a block from the table's sequence. On SQLite the transaction
        holds the write lock from its first statement, so counting up from the current
        maximum cannot collide.
        """
        if count <= 0:
            return []
        if self.postgres:
            return list(
                self.conn.execute(
                    text(
                        "SELECT nextval(pg_get_serial_sequence(:t, 'id')) "
                        "FROM generate_series(1, :n)"
                    ),
                    {"t": table.name, "n": count},
                ).scalars()
            )
        first = self._next_ids.get(table.name)
        if first is None:
            first = (self.conn.execute(select(func.max(table.c.id))).scalar() or 0) + 1
        self._next_ids[table.name] = first + count
        return list(range(first, first + count))
