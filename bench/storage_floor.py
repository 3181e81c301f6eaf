"""The storage floor of a sync: its stored rows replayed raw into the same schema.

No fetching, decoding, converting or bookkeeping: one raw executemany of the rows a sync
stored, the FTS index built once, the secondary indexes built once, the commit. What a
full sync costs above this is Python work; a target below it cannot be met by any loader
that stores the same rows with the same indexes. SQLite only.
"""

from __future__ import annotations

import resource
import sqlite3
import time
from pathlib import Path
from typing import Any


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def replay(db: Path, source_name: str | None = None) -> dict[str, Any]:
    """Replay the `items` rows (of one source) at `db` into a fresh file beside it."""
    sqlite3.register_adapter(type(None), {}.get)  # as the catalog does (catalog/db.py)
    source = sqlite3.connect(db)
    sql, params = "SELECT * FROM items", ()
    if source_name is not None:
        sql += " WHERE source_id = (SELECT id FROM sources WHERE name = ?)"
        params = (source_name,)
    rows = source.execute(sql, params).fetchall()
    ddl = source.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN ('items', 'items_fts') "
        "AND sql IS NOT NULL AND type IN ('table', 'index')"
    ).fetchall()
    source.close()
    table = next(sql for kind, name, sql in ddl if name == "items")
    fts = next(sql for kind, name, sql in ddl if name == "items_fts")
    indexes = [sql for kind, name, sql in ddl if kind == "index"]
    target = db.with_name("floor.db")
    conn = sqlite3.connect(target, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "cache_size=-65536"):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute("PRAGMA foreign_keys=OFF")
    conn.execute(table)
    conn.execute(fts)
    marks = ", ".join("?" * len(rows[0]))
    started, cpu0 = time.perf_counter(), _cpu_s()
    conn.execute("BEGIN")
    conn.executemany(f"INSERT INTO items VALUES ({marks})", rows)
    inserted = time.perf_counter()
    conn.execute("INSERT INTO items_fts(items_fts) VALUES ('rebuild')")
    for sql in indexes:
        conn.execute(sql)
    conn.execute("COMMIT")
    conn.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    return {
        "seconds": time.perf_counter() - started,
        "cpu_s": _cpu_s() - cpu0,
        "insert_s": inserted - started,
        "items": len(rows),
    }
