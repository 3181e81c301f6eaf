"""Another process's writer on a test's SQLite catalog, for the tests of who holds the
write lock when (read-then-write transactions, syncs taking turns)."""

from __future__ import annotations

import itertools
import sqlite3
import threading
import time
from pathlib import Path

_keys = itertools.count()


def other_writer(path: Path) -> sqlite3.Connection:
    """A connection of "another process" that never waits for a lock."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=0)
    conn.execute("PRAGMA busy_timeout=0")
    return conn


def commit_elsewhere(path: Path) -> bool:
    """Commit a small write from another connection that never waits; False when a
    transaction of ours holds the write lock."""
    conn = other_writer(path)
    try:
        conn.execute("INSERT INTO settings (key, value) VALUES (?, '1')", (f"k{next(_keys)}",))
    except sqlite3.OperationalError as exc:
        assert "database is locked" in str(exc)
        return False
    finally:
        conn.close()
    return True


def hold_write_lock(path: Path, seconds: float, held: threading.Event) -> threading.Thread:
    """Another process's writer, in effect: the write lock held for `seconds` (`held` is
    set once it is taken)."""

    def run() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        held.set()
        time.sleep(seconds)
        conn.execute("COMMIT")
        conn.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread
