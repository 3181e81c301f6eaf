"""Claim loops run by competing workers (threads or spawned processes) in race tests.
Module-level so that a spawned process can import it."""

from __future__ import annotations

from typing import Any

from reel.catalog.db import Database
from reel.jobs.queue import JobQueue


def drain(queue: JobQueue, worker_id: str, batch: int) -> list[int]:
    """Claim and complete until nothing is left; the ids this worker got."""
    got: list[int] = []
    misses = 0
    while misses < 3:  # a miss can be a twin's claim in flight; look again before leaving
        jobs = queue.claim(worker_id, limit=batch)
        if not jobs:
            misses += 1
            continue
        misses = 0
        for job in jobs:
            assert queue.complete(job, {"by": worker_id})
            got.append(job.id)
    return got


def drain_in_process(url: str, worker_id: str, batch: int, start: Any, out: Any) -> None:
    """A process's claim loop; `start` (a barrier) lines the racers up once imported."""
    db = Database(url, migrate=False)
    try:
        queue = JobQueue(db)
        start.wait(30)
        out.put((worker_id, drain(queue, worker_id, batch)))
    finally:
        db.dispose()
