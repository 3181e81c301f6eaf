"""`reel worker [--concurrency N] [--once] [--json]`: run background jobs.

Several workers may run, on one machine or several sharing a PostgreSQL catalog; each
job runs once wherever it is claimed. A worker also runs the scheduler (due syncs are
queued once however many schedulers run) and watches local sources' folders, queueing a
sync of the source that changed. The first Ctrl-C or SIGTERM stops claiming and lets
running jobs finish for a few seconds before handing them back to the queue; a second
one hands them back at once. `--once` queues what is due, runs every job that is due
now, and exits: a cron-friendly worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import Annotated

import typer

from reel.cli.context import AppContext, app_context, emit_json
from reel.cli.options import JsonOption
from reel.jobs.handlers import JobServices
from reel.jobs.queue import JobQueue
from reel.jobs.records import WorkerStats
from reel.jobs.scheduler import CHANGED_PRIORITY, Scheduler, enqueue_sync
from reel.jobs.worker import Worker, WorkerConfig
from reel.services.sources import SourceService


async def _run(actx: AppContext, concurrency: int, once: bool) -> WorkerStats:
    db, settings = actx.db, actx.settings
    queue = JobQueue(db)
    services = JobServices.build(db, settings)
    worker = Worker(queue, services, config=WorkerConfig(concurrency=concurrency))
    scheduler = Scheduler(queue, on_enqueue=worker.kick)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if stop.is_set():
            worker.abort()
        stop.set()

    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, on_signal)
    try:
        if once:
            await asyncio.to_thread(scheduler.tick)
            return await worker.run(stop, once=True)
        return await _serve(actx, worker, scheduler, services.engine.sources, stop)
    finally:
        for sig in signals:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)


async def _serve(
    actx: AppContext,
    worker: Worker,
    scheduler: Scheduler,
    sources: SourceService,
    stop: asyncio.Event,
) -> WorkerStats:
    from reel.services.local_watch import watch_local_sources

    queue = scheduler.queue

    async def rescan(name: str) -> None:
        # Through the queue: with several workers watching, a change is synced once.
        row = await asyncio.to_thread(sources.row, name)
        await asyncio.to_thread(enqueue_sync, queue, row.id, row.name, priority=CHANGED_PRIORITY)
        worker.kick()

    helpers = [
        asyncio.create_task(scheduler.run(stop), name="scheduler"),
        asyncio.create_task(
            watch_local_sources(actx.db, actx.settings, stop, rescan=rescan), name="watcher"
        ),
    ]
    try:
        return await worker.run(stop)
    finally:
        stop.set()
        for task in helpers:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(task, timeout=5)


def register(app: typer.Typer) -> None:
    @app.command("worker")
    def worker_cmd(
        ctx: typer.Context,
        concurrency: Annotated[
            int, typer.Option("--concurrency", min=1, max=64, help="Jobs run at the same time.")
        ] = 2,
        once: Annotated[
            bool, typer.Option("--once", help="Run what is due now, then exit.")
        ] = False,
        json: JsonOption = False,
    ) -> None:
        """Run background jobs (syncs, identification, write-back) until stopped."""
        actx = app_context(ctx)
        if not once and not json:
            actx.err.print(f"Reel worker running (concurrency {concurrency}); Ctrl-C stops it")
        stats = asyncio.run(_run(actx, concurrency, once))
        if json:
            emit_json(stats.to_json())
        else:
            actx.err.print(
                f"worker stopped: {stats.done} done, {stats.retried} to retry, "
                f"{stats.failed} failed, {stats.cancelled} cancelled, "
                f"{stats.released} handed back"
            )
