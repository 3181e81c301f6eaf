"""Bulk statements for big listings: rows go to the driver with no per-row SQLAlchemy work.

An `insert(table)` executemany runs SQLAlchemy's parameter processing for every row and
every column, which for a 130k-item listing cost more than SQLite's own work. Here the
columns' bind processors are looked up once, from the same column types, so the values the
driver receives are exactly the ones SQLAlchemy would have sent; only the per-row
machinery around them is skipped. SQLite gets one driver-level executemany per batch;
PostgreSQL gets `COPY … FROM STDIN`, which also fires the statement-level triggers that
keep `search_terms` in step. Everything runs on the caller's connection, inside its
transaction.

SQLite inserts go as multi-row `INSERT … VALUES (…), (…), …` statements rather than an
executemany. The driver gives up the interpreter lock around every statement it steps, and
an executemany steps once per row: while the event loop decodes the next page on another
thread, each of those hand-overs waits for the loop to yield the lock. With hundreds of rows
per statement the lock changes hands once per statement. In isolation the two cost the
same (multi-row is slightly faster); next to a busy thread, 20,000 item rows took 5.2 s as
an executemany and 0.16 s as 1,000-row statements.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from itertools import chain
from typing import Any

from sqlalchemy import Connection, Table, func, select, text

from reel.sync.encode import RowEncoder

ROWS_PER_INSERT = 1000  # rows of one SQLite INSERT statement, at most
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
        row = f"({', '.join([self._mark] * len(columns))})"
        head = f"INSERT INTO {table.name} ({names}) VALUES "
        per = max(1, min(ROWS_PER_INSERT, self._max_variables // len(columns)))
        full = head + ", ".join([row] * per)
        for start in range(0, len(params), per):
            part = params[start : start + per]
            statement = full if len(part) == per else head + ", ".join([row] * len(part))
            self.conn.exec_driver_sql(statement, tuple(chain.from_iterable(part)))

    def update(self, table: Table, rows: Sequence[Mapping[str, Any]], key: str = "id") -> None:
        """`UPDATE … WHERE key = ?` for rows that all have the same keys, `key` among them."""
        if not rows:
            return
        columns = [c for c in rows[0] if c != key]
        encoder = self._encoder(table, [*columns, key])
        assignments = ", ".join(f"{c} = {self._mark}" for c in columns)
        self.conn.exec_driver_sql(
            f"UPDATE {table.name} SET {assignments} WHERE {key} = {self._mark}",
            encoder.encode(rows),
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
