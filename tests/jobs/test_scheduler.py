"""The scheduler on both databases: which sources are due, and each due sync queued
once however often (and by however many schedulers) it ticks."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta

from reel.catalog.db import Database
from reel.catalog.models import Source, SyncRun
from reel.catalog.types import utcnow
from reel.jobs.queue import JobQueue
from reel.jobs.scheduler import FIRST_SYNC_DELAY_S, Scheduler

HOUR = 3600


def add_source(
    db: Database,
    name: str,
    *,
    created: datetime,
    last_sync: datetime | None = None,
    interval_s: int = HOUR,
    auto_sync: bool = True,
    enabled: bool = True,
) -> int:
    with db.session() as session:
        source = Source(name=name, kind="m3u", settings={}, created_at=created,
                        last_sync_at=last_sync, sync_interval_s=interval_s,
                        auto_sync=auto_sync, enabled=enabled, sync_state={})  # fmt: skip
        session.add(source)
        session.flush()
        return int(source.id)


def add_run(db: Database, source_id: int, started: datetime, status: str = "failed") -> None:
    with db.session() as session:
        session.add(SyncRun(source_id=source_id, kind="full", status=status, started_at=started))


def queued_sources(queue: JobQueue) -> list[str]:
    return sorted(j.payload["source"] for j in queue.list_jobs(status="queued", type="sync"))


def test_due_follows_interval_last_attempt_and_switches(db: Database, queue: JobQueue) -> None:
    now = utcnow()
    day_ago = now - timedelta(days=1)
    add_source(db, "stale", created=day_ago, last_sync=now - timedelta(hours=2))
    add_source(db, "fresh", created=day_ago, last_sync=now - timedelta(minutes=10))
    failing = add_source(db, "failing", created=day_ago, last_sync=now - timedelta(hours=5))
    add_run(db, failing, now - timedelta(minutes=5))  # tried (and failed) just now
    add_source(db, "new", created=now - timedelta(seconds=FIRST_SYNC_DELAY_S + 1))
    add_source(db, "brand-new", created=now)  # the UI syncs it right away; wait a minute
    add_source(db, "manual", created=day_ago, auto_sync=False)
    add_source(db, "off", created=day_ago, enabled=False)
    scheduler = Scheduler(queue)
    due = {d.name: d.due_at for d in scheduler.schedule(now)}
    assert set(due) == {"stale", "fresh", "failing", "new", "brand-new"}
    assert due["fresh"] == now - timedelta(minutes=10) + timedelta(hours=1)
    assert due["failing"] == now - timedelta(minutes=5) + timedelta(hours=1)
    assert scheduler.tick(now)
    assert queued_sources(queue) == ["new", "stale"]
    later = now + timedelta(minutes=52)
    scheduler.tick(later)
    assert queued_sources(queue) == ["brand-new", "fresh", "new", "stale"]
    scheduler.tick(now + timedelta(minutes=56))
    assert queued_sources(queue) == ["brand-new", "failing", "fresh", "new", "stale"]


def test_a_due_sync_is_queued_once(db: Database, queue: JobQueue) -> None:
    now = utcnow()
    source_id = add_source(
        db, "iptv", created=now - timedelta(days=2), last_sync=now - timedelta(days=1)
    )
    scheduler = Scheduler(queue)
    [job_id] = scheduler.tick(now)
    assert scheduler.tick(now + timedelta(seconds=30)) == []
    job = queue.get(job_id)
    assert job is not None and job.dedupe_key == f"sync:{source_id}"
    assert job.payload == {"source_id": source_id, "source": "iptv", "full": False}
    # Claimed and running: still not queued again, even though still "due".
    [running] = queue.claim("w", now=now + timedelta(seconds=31))
    assert scheduler.tick(now + timedelta(seconds=60)) == []
    # The sync ran (its run row) and the job finished: next one an interval later.
    add_run(db, source_id, now + timedelta(seconds=40), status="ok")
    queue.complete(running)
    assert scheduler.tick(now + timedelta(minutes=30)) == []
    assert len(scheduler.tick(now + timedelta(seconds=40 + HOUR))) == 1
    assert len(queue.list_jobs(type="sync")) == 2


def test_racing_schedulers_queue_one_sync(db: Database) -> None:
    now = utcnow()
    add_source(db, "iptv", created=now - timedelta(days=2))
    barrier = threading.Barrier(4)
    results: list[list[int]] = []

    def tick() -> None:
        scheduler = Scheduler(JobQueue(db))
        barrier.wait()
        results.append(scheduler.tick(now))

    threads = [threading.Thread(target=tick) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(results) == 4
    assert len({i for r in results for i in r}) == 1
    assert len(JobQueue(db).list_jobs()) == 1


async def test_the_loop_wakes_a_worker_only_when_it_queued_something(
    db: Database, queue: JobQueue
) -> None:
    now = utcnow()
    add_source(db, "iptv", created=now - timedelta(days=2))
    woken: list[int] = []
    stop = asyncio.Event()
    scheduler = Scheduler(queue, on_enqueue=lambda: woken.append(1))
    run = asyncio.create_task(scheduler.run(stop, every_s=0.02))
    await asyncio.sleep(0.3)  # many ticks, one sync queued
    stop.set()
    await asyncio.wait_for(run, 5)
    assert woken == [1]
    assert len(queue.list_jobs()) == 1
