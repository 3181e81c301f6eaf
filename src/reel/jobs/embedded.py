"""Jobs inside `reel serve`, so automatic syncs work with nothing but the server.

The server runs the scheduler and a worker over the shared queue — the same queue any
`reel worker` processes take jobs from, so wherever a job runs, it runs once. What the
server's worker does differently is *how* it syncs: through the server's `SyncManager`,
like the "Sync now" button, so a scheduled sync shows its live progress in the UI, takes
its turn with syncs started there, and can be cancelled from there (the job then ends
`cancelled`). A sync job for a source the UI is already syncing waits for that sync and
takes its outcome instead of starting a second one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Protocol

from reel.catalog.db import Database
from reel.config import Settings
from reel.errors import Conflict
from reel.jobs.handlers import JobServices, SyncRunner
from reel.jobs.queue import JobQueue
from reel.jobs.scheduler import Scheduler
from reel.jobs.worker import Worker, WorkerConfig
from reel.playback.writeback import WriteBack
from reel.services.syncing import PostSync
from reel.sync.engine import SyncEngine
from reel.sync.outcome import SyncResult

log = logging.getLogger(__name__)

SERVER_CONCURRENCY = 2


class SyncStarter(Protocol):
    """What the jobs need of the web layer's SyncManager (jobs never import web)."""

    engine: SyncEngine
    post: PostSync
    running: dict[str, Any]

    def start(self, names: list[str] | None, *, full: bool = False) -> list[str]: ...


def sync_via(manager: SyncStarter) -> SyncRunner:
    """A sync runner that goes through the server's SyncManager."""

    async def run(name: str, full: bool) -> SyncResult | None:
        try:
            manager.start([name], full=full)
            ours = True
        except Conflict:  # started from the UI a moment ago: wait for that one
            ours = False
        entry = manager.running.get(name)
        task: asyncio.Task[SyncResult | None] | None = getattr(entry, "task", None)
        if task is None:
            return None
        # Stopping this job stops a sync it started, never one a person started.
        result = await (task if ours else asyncio.shield(task))
        return result

    return run


class EmbeddedJobs:
    """The scheduler and a worker as tasks of the server's event loop."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        syncs: SyncStarter,
        writeback: WriteBack,
        *,
        concurrency: int = SERVER_CONCURRENCY,
    ) -> None:
        services = JobServices(
            db, settings, syncs.engine, syncs.post, writeback, run_sync=sync_via(syncs)
        )
        self.queue = JobQueue(db)
        self.worker = Worker(
            self.queue, services, config=WorkerConfig(concurrency=concurrency, grace_s=2.0)
        )
        self.scheduler = Scheduler(self.queue, on_enqueue=self.worker.kick)
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[Any]] = []

    @classmethod
    def for_server(cls, svc: Any) -> EmbeddedJobs:
        """From the web app's services (`db`, `settings`, `syncs`, `writeback`)."""
        return cls(svc.db, svc.settings, svc.syncs, svc.writeback)

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self.worker.run(self._stop), name="reel jobs worker"),
            asyncio.create_task(self.scheduler.run(self._stop), name="reel jobs scheduler"),
        ]

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming; running jobs get a short grace, then go back to the queue."""
        self._stop.set()
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(task, timeout=timeout)
