"""Blocking calls (the database) run on anyio's worker threads, the ones FastAPI uses
for plain `def` handlers, so one limit bounds how many of them touch the database at
once. Past the connection pool's size, extra threads only make the pool open and drop
connections (a fresh SQLite connection re-reads the schema and starts with a cold page
cache), and on two cores they only fight over the GIL (measured with bench/web.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread

R = TypeVar("R")


async def in_thread(fn: Callable[..., R], *args: Any) -> R:
    """`fn(*args)` on a worker thread (like `asyncio.to_thread`, under the app's limit)."""
    return await anyio.to_thread.run_sync(functools.partial(fn, *args))


def thread_limit(pool_size: int | None, wanted: int) -> int:
    """Worker threads for the app: `wanted`, but leave one pooled connection for the
    writer thread so neither ever waits for an overflow connection to be opened."""
    if pool_size is None or pool_size < 2:
        return max(1, wanted)
    return max(1, min(wanted, pool_size - 1))
