"""Rows → driver parameters for bulk statements, a column at a time.

SQLAlchemy's bind processors turn Python values into what the driver receives (datetimes
into SQLite's text format, containers into JSON). Calling them per row and per column from
Python was most of a large insert's cost, so the encoder works on whole columns instead:
a batch is transposed once (`zip`, in C), each column that needs processing is mapped in
one call, and the result transposed back. That also makes three common shapes cheap:

- a column holding one value in every row (a sync's `created_at`) is processed once;
- a column that is NULL in every row can be left out of the INSERT, so its NULL is the
  column's default instead of a bound parameter (`droppable`);
- SQLite's JSON and UTC-datetime columns have C-level paths (orjson + `bytes.decode`;
  `datetime.isoformat`) that write exactly what the SQLAlchemy processors write. Anything
  else — another dialect, another serializer, a non-UTC offset — takes the processor
  SQLAlchemy itself would have used, so the values stored never differ.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from itertools import repeat
from operator import attrgetter
from typing import Any

import orjson
from sqlalchemy import JSON, Connection, Table

from reel.catalog.db import json_text
from reel.catalog.types import UTCDateTime

Processor = Callable[[Any], Any]
ColumnProcessor = Callable[[Sequence[Any]], Sequence[Any]]

_tzinfo = attrgetter("tzinfo")


def sqlite_utc_text(value: datetime | None) -> str | None:
    """What UTCDateTime and SQLite's DATETIME processors store for one value.

    Naive values are taken as UTC, as UTCDateTime does; the text is
    "YYYY-MM-DD HH:MM:SS.ffffff" whatever the microseconds.
    """
    if value is None:
        return None
    if value.tzinfo is not None and value.utcoffset():
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]


def _sqlite_utc_column(values: Sequence[Any]) -> Sequence[Any]:
    if None in values:  # optional datetimes: encode the others, keep the gaps
        present = [v for v in values if v is not None]
        texts = iter(_sqlite_utc_column(present) if present else ())
        return [None if v is None else next(texts) for v in values]
    if set(map(_tzinfo, values)) == {UTC}:
        # The same wall time without its tzinfo formats in a third less time than with
        # it (no offset to write and cut off again); date() and time() drop it in C.
        naive = map(datetime.combine, map(datetime.date, values), map(datetime.time, values))
        return list(map(datetime.isoformat, naive, repeat(" "), repeat("microseconds")))
    return list(map(sqlite_utc_text, values))


def _sqlite_json_column(values: Sequence[Any]) -> Sequence[Any]:
    return list(map(bytes.decode, map(orjson.dumps, values)))


def _mapped(proc: Processor) -> ColumnProcessor:
    def column(values: Sequence[Any]) -> Sequence[Any]:
        return list(map(proc, values))

    return column


class RowEncoder:
    """Parameter tuples for a fixed column order of one table (values or dicts in)."""

    def __init__(self, conn: Connection, table: Table, columns: Sequence[str]) -> None:
        dialect = conn.dialect
        sqlite = dialect.name == "sqlite"
        self.columns = tuple(columns)
        self._procs: dict[int, ColumnProcessor] = {}
        for index, name in enumerate(self.columns):
            column_type = table.c[name].type
            proc = column_type.dialect_impl(dialect).bind_processor(dialect)
            if proc is None:
                continue
            impl = getattr(column_type, "impl", column_type)
            if sqlite and isinstance(column_type, UTCDateTime):
                self._procs[index] = _sqlite_utc_column
            elif (
                sqlite
                and isinstance(impl, JSON)
                and getattr(dialect, "_json_serializer", None) is json_text
            ):
                self._procs[index] = _sqlite_json_column
            else:
                self._procs[index] = _mapped(proc)
        # Columns that are NULL when left out of an INSERT (no default of their own).
        self.droppable = frozenset(
            index
            for index, name in enumerate(self.columns)
            if table.c[name].nullable
            and table.c[name].server_default is None
            and table.c[name].default is None
        )

    def encode(self, rows: Iterable[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        """Parameters for rows given as dicts with (at least) this encoder's columns."""
        columns = self.columns
        return self.encode_values([tuple(row[c] for c in columns) for row in rows])[1]

    def encode_values(
        self, rows: Iterable[Sequence[Any]], *, drop_null: bool = False
    ) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
        """(columns, parameters) for rows given as values in this encoder's column order.

        With `drop_null`, columns that are NULL in every row and may be left out are
        left out of both.
        """
        batch = rows if isinstance(rows, list) else list(rows)
        if not batch:
            return self.columns, []
        return self.encode_columns(list(zip(*batch, strict=True)), drop_null=drop_null)

    def encode_columns(
        self, columns: Sequence[Sequence[Any]], *, drop_null: bool = False
    ) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
        """`encode_values` for values given as columns (one sequence per column of this
        encoder, all as long): no turning rows into columns first."""
        count = len(columns[0]) if columns else 0
        if not count:
            return self.columns, []
        names: list[str] = []
        out: list[Sequence[Any]] = []
        for index, column in enumerate(columns):
            if drop_null and index in self.droppable and column.count(None) == count:
                continue
            values: Sequence[Any] = column
            proc = self._procs.get(index)
            if proc is not None:
                first = column[0]
                if column.count(first) == count:  # one value in every row
                    values = [proc((first,))[0]] * count
                else:
                    values = proc(column)
            names.append(self.columns[index])
            out.append(values)
        return tuple(names), list(zip(*out, strict=True))
