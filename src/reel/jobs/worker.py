"""The worker loop: claim due jobs, run them with bounded concurrency, record outcomes.

One asyncio task per running job. A heartbeat task renews the leases (so other workers
do not take the jobs over), notices cancellation requests (the `cancel_requested` flag)
and leases it lost, and now and then recovers jobs of dead workers and prunes old ones.

Stopping (SIGINT/SIGTERM in `reel worker`) stops claiming, gives running jobs `grace_s`
to finish, then cancels them — a sync rolls back — and hands them back to the queue
without counting the attempt. `abort()` (a second signal) skips the grace period.

Database calls run on threads and are retried when the database is busy: on SQLite a
long sync holds the only write lock, and an outcome lost to that would leave the job
running until recovered. (A live worker on the same host is never robbed of its jobs,
so a renewal missed behind that lock does no harm; leases guard workers elsewhere.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.exc import OperationalError

from reel.errors import ReelError
from reel.jobs.handlers import HANDLERS, Handler, JobServices
from reel.jobs.identity import new_worker_id
from reel.jobs.queue import JobQueue
from reel.jobs.records import (
    Job,
    JobCancelled,
    PermanentJobError,
    RetryableJobError,
    WorkerStats,
)

log = logging.getLogger(__name__)
R = TypeVar("R")


@dataclass
class WorkerConfig:
    concurrency: int = 2
    poll_s: float = 1.0
    lease_s: float = 300.0
    heartbeat_s: float = 5.0
    grace_s: float = 10.0
    types: tuple[str, ...] | None = None
    keep_finished_s: float = 7 * 86400.0


class Worker:
    """Runs jobs from `queue` with `handlers` until stopped (or, with `once`, until
    nothing is due)."""

    def __init__(
        self,
        queue: JobQueue,
        services: JobServices | Any,
        *,
        handlers: Mapping[str, Handler] | None = None,
        config: WorkerConfig | None = None,
        worker_id: str | None = None,
    ) -> None:
        self.queue = queue
        self.services = services
        self.handlers = dict(HANDLERS if handlers is None else handlers)
        self.config = config or WorkerConfig()
        self.worker_id = worker_id or new_worker_id()
        self.stats = WorkerStats()
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._reasons: dict[int, str] = {}
        self._wake: asyncio.Event | None = None
        self._abort: asyncio.Event | None = None

    # -- control -----------------------------------------------------------------------

    def kick(self) -> None:
        """Look for work now rather than at the next poll (call from the loop)."""
        if self._wake is not None:
            self._wake.set()

    def abort(self) -> None:
        """Cancel running jobs at once when stopping, without the grace period."""
        if self._abort is not None:
            self._abort.set()

    @property
    def running(self) -> list[int]:
        return list(self._tasks)

    # -- the loop ----------------------------------------------------------------------

    async def run(self, stop: asyncio.Event | None = None, *, once: bool = False) -> WorkerStats:
        stop = stop or asyncio.Event()
        self._wake, self._abort = asyncio.Event(), asyncio.Event()
        cfg = self.config
        log.info("worker %s started (concurrency %d)", self.worker_id, cfg.concurrency)
        await self._maintain()  # jobs of a worker that died here run again right away
        heartbeat = asyncio.create_task(self._heartbeat(), name=f"heartbeat {self.worker_id}")
        busy = True  # after a claim that found work, claim again without looking first
        try:
            while not stop.is_set():
                free = cfg.concurrency - len(self._tasks)
                claimed: list[Job] | None = []
                if free > 0 and (busy or await self._db(self.queue.has_due, types=cfg.types)):
                    claimed = await self._db(
                        self.queue.claim, self.worker_id, limit=free, types=cfg.types, tries=1
                    )
                    for job in claimed or []:
                        self._start(job)
                busy = bool(claimed)
                if once and claimed == [] and not self._tasks:
                    break
                full = claimed is not None and len(claimed) >= free
                await self._wait(stop, None if full else cfg.poll_s)
        finally:
            await self._drain()
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
            log.info("worker %s stopped: %s", self.worker_id, self.stats.to_json())
        return self.stats

    async def _wait(self, stop: asyncio.Event, timeout: float | None) -> None:
        assert self._wake is not None
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
        try:
            await asyncio.wait(
                [*self._tasks.values(), *waiters],
                timeout=timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            for waiter in waiters:
                waiter.cancel()
            self._wake.clear()

    async def _drain(self) -> None:
        """Grace for running jobs, then cancel them; they go back to the queue."""
        assert self._abort is not None
        if self._tasks and not self._abort.is_set():
            aborted = asyncio.ensure_future(self._abort.wait())
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.config.grace_s
            try:
                while self._tasks and not self._abort.is_set():
                    left = deadline - loop.time()
                    if left <= 0:
                        break
                    await asyncio.wait(
                        [*self._tasks.values(), aborted],
                        timeout=left,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
            finally:
                aborted.cancel()
        for job_id in list(self._tasks):
            self._cancel(job_id, "shutdown")
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    # -- one job -----------------------------------------------------------------------

    def _start(self, job: Job) -> None:
        self.stats.claimed += 1
        self.stats.by_type[job.type] = self.stats.by_type.get(job.type, 0) + 1
        task = asyncio.create_task(self._run_job(job), name=f"job {job.id} {job.type}")
        self._tasks[job.id] = task

        def forget(task: asyncio.Task[None]) -> None:
            self._tasks.pop(job.id, None)
            if not task.cancelled() and task.exception() is not None:
                # Recording the outcome failed; the job stays claimed until recovered.
                log.error("job %s (%s): %s", job.id, job.type, task.exception())

        task.add_done_callback(forget)

    def _cancel(self, job_id: int, reason: str) -> None:
        task = self._tasks.get(job_id)
        if task is not None and not task.done():
            self._reasons.setdefault(job_id, reason)
            task.cancel()

    async def _run_job(self, job: Job) -> None:
        started = time.monotonic()
        handler = self.handlers.get(job.type)
        try:
            if handler is None:
                raise PermanentJobError(f"no handler for jobs of type {job.type!r}")
            log.info("job %s (%s) started, attempt %d", job.id, job.type, job.attempts)
            result = await handler(self.services, job)
        except asyncio.CancelledError:
            await self._after_cancel(job, self._reasons.pop(job.id, "shutdown"))
            return
        except JobCancelled as exc:  # e.g. the server's SyncManager swallowed our cancel
            await self._after_cancel(job, self._reasons.pop(job.id, "cancel"), str(exc))
        except (PermanentJobError, ReelError) as exc:
            await self._failed(job, str(exc), retry=False)
        except RetryableJobError as exc:
            await self._failed(job, str(exc), delay_s=exc.delay_s)
        except Exception as exc:
            log.warning("job %s (%s) raised", job.id, job.type, exc_info=True)
            await self._failed(job, f"{type(exc).__name__}: {exc}")
        else:
            if await self._db(self.queue.complete, job, result):
                self.stats.done += 1
            else:
                self.stats.lost += 1
            log.info("job %s (%s) done in %.2fs", job.id, job.type, time.monotonic() - started)
        finally:
            self._reasons.pop(job.id, None)

    async def _failed(
        self, job: Job, error: str, *, retry: bool = True, delay_s: float | None = None
    ) -> None:
        status = await self._db(self.queue.fail, job, error, retry=retry, delay_s=delay_s)
        if status == "queued":
            self.stats.retried += 1
        elif status == "failed":
            self.stats.failed += 1
        else:
            self.stats.lost += 1
        log.info("job %s (%s) attempt %d: %s -> %s", job.id, job.type, job.attempts, error, status)

    async def _after_cancel(self, job: Job, reason: str, message: str = "cancelled") -> None:
        if reason == "cancel":
            await self._db(self.queue.mark_cancelled, job, message)
            self.stats.cancelled += 1
            log.info("job %s (%s) cancelled", job.id, job.type)
        elif reason == "lost":
            self.stats.lost += 1  # another worker owns it now; write nothing
        else:
            await self._db(self.queue.release, job)
            self.stats.released += 1
            log.info("job %s (%s) handed back to the queue", job.id, job.type)

    # -- heartbeat and housekeeping ----------------------------------------------------

    async def _heartbeat(self) -> None:
        cfg = self.config
        renewed = maintained = time.monotonic()
        while True:
            await asyncio.sleep(cfg.heartbeat_s)
            try:
                renewed, maintained = await self._beat(renewed, maintained)
            except Exception:  # the heartbeat must outlive any one bad beat
                log.exception("job worker heartbeat failed")

    async def _beat(self, renewed: float, maintained: float) -> tuple[float, float]:
        """One heartbeat; returns when leases were last renewed and upkeep last ran."""
        cfg = self.config
        ids = list(self._tasks)
        if ids:
            for job_id in await self._db(self.queue.cancel_requested, ids, tries=1) or ():
                log.info("job %s: cancellation requested", job_id)
                self._cancel(job_id, "cancel")
        now = time.monotonic()
        if ids and now - renewed >= cfg.lease_s / 4:
            lost = await self._db(self.queue.renew, self.worker_id, ids, tries=1)
            if lost is not None:
                renewed = now
                for job_id in lost:
                    log.warning("job %s: lease lost to another worker; stopping it", job_id)
                    self._cancel(job_id, "lost")
        if now - maintained >= min(cfg.lease_s / 2, 60.0):
            maintained = now
            await self._maintain()
        return renewed, maintained

    async def _maintain(self) -> None:
        recovered = await self._db(self.queue.recover, self.config.lease_s, tries=1)
        if recovered:
            self.kick()
        await self._db(self.queue.prune, self.config.keep_finished_s, tries=1)

    async def _db(
        self, fn: Callable[..., R], *args: Any, tries: int = 6, **kwargs: Any
    ) -> R | None:
        """`fn` on a thread; a busy or unreachable database is retried, then logged."""
        for attempt in range(tries):
            try:
                return await asyncio.to_thread(fn, *args, **kwargs)
            except OperationalError as exc:
                if attempt + 1 == tries:
                    # Single tries are polls that simply come round again.
                    level = logging.DEBUG if tries == 1 else logging.WARNING
                    log.log(
                        level, "job queue: %s failed: %s", fn.__name__, str(exc).splitlines()[0]
                    )
                    return None
                await asyncio.sleep(min(8.0, 0.25 * 2**attempt))
        return None
