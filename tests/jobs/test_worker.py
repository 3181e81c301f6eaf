"""The worker loop on both databases: bounded concurrency, outcomes by error kind,
cancellation while running, clean shutdown with and without grace, and lost leases."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from reel.catalog.types import utcnow
from reel.errors import NotFound
from reel.jobs.queue import JobQueue
from reel.jobs.records import Job, JobCancelled, PermanentJobError, RetryableJobError
from reel.jobs.worker import Worker
from tests.jobs.conftest import fast_config


class Probe:
    """Handlers that record what ran and how many ran at once."""

    def __init__(self) -> None:
        self.active = 0
        self.peak = 0
        self.ran: list[int] = []
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.cancelled: list[int] = []

    async def slow(self, _svc: Any, job: Job) -> dict[str, Any]:
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            await asyncio.sleep(0.03)
            self.ran.append(job.id)
            return {"n": job.payload["n"]}
        finally:
            self.active -= 1

    async def block(self, _svc: Any, job: Job) -> dict[str, Any]:
        self.started.set()
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled.append(job.id)
            raise
        return {"released": True}


async def wait_for(predicate: Any, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.01)


async def test_runs_everything_due_with_bounded_concurrency(queue: JobQueue) -> None:
    probe = Probe()
    ids = [queue.enqueue("slow", {"n": n}) for n in range(7)]
    worker = Worker(queue, None, handlers={"slow": probe.slow}, config=fast_config(concurrency=3))
    stats = await worker.run(once=True)
    assert sorted(probe.ran) == ids
    assert probe.peak == 3
    assert (stats.claimed, stats.done, stats.by_type) == (7, 7, {"slow": 7})
    jobs = [queue.get(i) for i in ids]
    assert all(j is not None and j.status == "done" for j in jobs)
    assert [j.result for j in jobs if j] == [{"n": n} for n in range(7)]


async def test_outcomes_follow_the_kind_of_error(queue: JobQueue) -> None:
    calls: dict[str, int] = {}

    async def flaky(_svc: Any, job: Job) -> dict[str, Any]:
        calls["flaky"] = calls.get("flaky", 0) + 1
        if calls["flaky"] == 1:
            raise RetryableJobError("server offline", delay_s=0)
        return {"ok": True}

    async def refused(_svc: Any, _job: Job) -> None:
        raise PermanentJobError("credentials refused")

    async def gone(_svc: Any, _job: Job) -> None:
        raise NotFound("no source named 'x'")

    async def buggy(_svc: Any, _job: Job) -> None:
        raise ValueError("a bug")

    async def stopped(_svc: Any, _job: Job) -> None:
        raise JobCancelled("cancelled in the UI")

    handlers = {"flaky": flaky, "refused": refused, "gone": gone, "buggy": buggy}
    handlers["stopped"] = stopped
    ids = {name: queue.enqueue(name) for name in [*handlers, "unknown"]}
    worker = Worker(queue, None, handlers=handlers, config=fast_config())
    stats = await worker.run(once=True)
    status = {name: queue.get(i) for name, i in ids.items()}
    assert {n: (j.status, j.attempts) for n, j in status.items() if j} == {
        "flaky": ("done", 2),
        "refused": ("failed", 1),
        "gone": ("failed", 1),
        "buggy": ("queued", 1),  # retried after the queue's backoff (10 s here)
        "stopped": ("cancelled", 1),
        "unknown": ("failed", 1),
    }
    assert "ValueError: a bug" in (status["buggy"].error or "")  # type: ignore[union-attr]
    assert "no handler" in (status["unknown"].error or "")  # type: ignore[union-attr]
    assert (stats.done, stats.retried, stats.failed, stats.cancelled) == (1, 2, 3, 1)


async def test_cancel_request_stops_a_running_job(queue: JobQueue) -> None:
    probe = Probe()
    job_id = queue.enqueue("block")
    worker = Worker(queue, None, handlers={"block": probe.block}, config=fast_config())
    stop = asyncio.Event()
    run = asyncio.create_task(worker.run(stop))
    await asyncio.wait_for(probe.started.wait(), 5)
    assert await asyncio.to_thread(queue.cancel, job_id) == "cancelling"
    await wait_for(lambda: probe.cancelled == [job_id])
    await wait_for(lambda: worker.stats.cancelled == 1)
    stop.set()
    await asyncio.wait_for(run, 5)
    job = queue.get(job_id)
    assert job is not None and job.status == "cancelled" and job.finished_at is not None


async def test_shutdown_hands_running_jobs_back_untried(queue: JobQueue) -> None:
    probe = Probe()
    job_id = queue.enqueue("block")
    worker = Worker(queue, None, handlers={"block": probe.block}, config=fast_config(grace_s=0.1))
    stop = asyncio.Event()
    run = asyncio.create_task(worker.run(stop))
    await asyncio.wait_for(probe.started.wait(), 5)
    stop.set()
    stats = await asyncio.wait_for(run, 5)
    assert probe.cancelled == [job_id] and stats.released == 1
    job = queue.get(job_id)
    assert job is not None and (job.status, job.attempts) == ("queued", 0)
    assert [j.id for j in queue.claim("next")] == [job_id]


async def test_shutdown_grace_lets_a_short_job_finish(queue: JobQueue) -> None:
    probe = Probe()
    job_id = queue.enqueue("block")
    worker = Worker(queue, None, handlers={"block": probe.block}, config=fast_config(grace_s=5))
    stop = asyncio.Event()
    run = asyncio.create_task(worker.run(stop))
    await asyncio.wait_for(probe.started.wait(), 5)
    stop.set()
    await asyncio.sleep(0.1)
    assert not run.done()  # waiting for the job, not cutting it off
    probe.release.set()
    stats = await asyncio.wait_for(run, 5)
    assert stats.done == 1 and probe.cancelled == []
    job = queue.get(job_id)
    assert job is not None and job.status == "done"


async def test_abort_skips_the_grace_period(queue: JobQueue) -> None:
    probe = Probe()
    queue.enqueue("block")
    worker = Worker(queue, None, handlers={"block": probe.block}, config=fast_config(grace_s=60))
    stop = asyncio.Event()
    run = asyncio.create_task(worker.run(stop))
    await asyncio.wait_for(probe.started.wait(), 5)
    stop.set()
    await asyncio.sleep(0.05)
    worker.abort()
    stats = await asyncio.wait_for(run, 5)
    assert stats.released == 1


async def test_a_worker_that_lost_its_lease_stops_and_writes_nothing(queue: JobQueue) -> None:
    probe = Probe()
    job_id = queue.enqueue("block")
    config = fast_config(lease_s=0.2)  # renewed every 50 ms
    # A worker on another machine, as far as the queue can tell: only its lease counts.
    worker = Worker(
        queue, None, handlers={"block": probe.block}, config=config, worker_id="far/1/abcdef"
    )
    stop = asyncio.Event()
    run = asyncio.create_task(worker.run(stop))
    await asyncio.wait_for(probe.started.wait(), 5)
    # Another worker decides this one is dead (its clock says the lease ran out).
    later = utcnow() + timedelta(minutes=5)
    assert await asyncio.to_thread(queue.recover, 60, now=later) == [job_id]
    await wait_for(lambda: probe.cancelled == [job_id])
    await wait_for(lambda: worker.stats.lost == 1)
    stop.set()
    await asyncio.wait_for(run, 5)
    job = queue.get(job_id)
    assert job is not None and job.status == "queued" and "lease expired" in (job.error or "")
    assert worker.stats.released == 0 and worker.stats.cancelled == 0


async def test_kick_wakes_an_idle_worker_before_its_poll(queue: JobQueue) -> None:
    probe = Probe()
    worker = Worker(queue, None, handlers={"slow": probe.slow}, config=fast_config(poll_s=30))
    stop = asyncio.Event()
    run = asyncio.create_task(worker.run(stop))
    await asyncio.sleep(0.05)
    job_id = await asyncio.to_thread(queue.enqueue, "slow", {"n": 1})
    worker.kick()
    await wait_for(lambda: probe.ran == [job_id], timeout=3)
    stop.set()
    await asyncio.wait_for(run, 5)
