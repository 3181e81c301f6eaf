"""The server's own small catalog writes (watch state) go through one thread on SQLite.

SQLite has one writer at a time. Handing every in-process write to a single thread makes
them queue in order on that thread instead of spinning in SQLite's busy handler on many
worker threads (which sleeps in growing steps and leaves the threads the reads need
parked). Requests await the write without holding a worker thread. PostgreSQL takes
concurrent writers, so there the writes run on the shared worker threads as reads do.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import anyio.to_thread

R = TypeVar("R")


class Writer:
    """Runs blocking write functions: one at a time on SQLite, pooled otherwise."""

    def __init__(self, dialect: str) -> None:
        self.serial = dialect == "sqlite"
        self._executor: ThreadPoolExecutor | None = None

    async def run(self, fn: Callable[..., R], *args: Any) -> R:
        """`fn(*args)` on the writer; its exceptions propagate to the caller."""
        call = functools.partial(fn, *args)
        if not self.serial:
            return await anyio.to_thread.run_sync(call)
        if self._executor is None:  # first use, or the app was started again
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reel-writer")
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)
