"""Relaxed garbage collection while a sync's unit of work runs.

A full sync allocates millions of small objects that live for the whole run (the
`(type, remote_id) → (id, hash)` map, records, row tuples) and almost never form cycles.
With the default thresholds the collector runs thousands of times and its full passes walk
every one of them again, which cost about a quarter of a large sync's CPU. So while any
sync runs, what existed before it is frozen out of the collector's reach and the young
generation is collected far less often; both are undone when the last sync ends. The
settings are process-wide, hence the count of nested/concurrent users.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

THRESHOLDS = (10_000, 50, 1000)

_lock = threading.Lock()
_users = 0
_saved: tuple[int, int, int] | None = None


@contextmanager
def relaxed_gc() -> Iterator[None]:
    """Collect less during the block (re-entrant and thread-safe; restored on exit)."""
    global _users, _saved
    with _lock:
        _users += 1
        if _users == 1:
            _saved = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(*THRESHOLDS)
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                gc.unfreeze()
                _saved = None
