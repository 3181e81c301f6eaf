"""End to end on both databases: the scheduler queues a sync of an Xtream panel (the
fake), a worker runs it through SyncEngine + PostSync, and the outcome lands in the
catalog and the job; offline panels are retried, refused credentials are not; the
server's way (through its SyncManager) runs a job once and shares a sync in progress."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from reel.catalog.db import Database
from reel.catalog.models import Item, SyncRun
from reel.jobs.embedded import sync_via
from reel.jobs.handlers import JobServices
from reel.jobs.queue import JobQueue
from reel.jobs.scheduler import Scheduler, enqueue_sync
from reel.jobs.worker import Worker
from reel.testing.fakes.xtream import XtreamFake
from reel.web.syncs import SyncManager
from tests.jobs.conftest import add_panel, fast_config


def item_counts(db: Database) -> dict[str, int]:
    with db.session() as session:
        rows = session.execute(select(Item.type, func.count()).group_by(Item.type)).all()
    return {t: n for t, n in rows}


def run_count(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(SyncRun)) or 0)


async def test_scheduled_sync_runs_on_a_worker(
    db: Database, fake: XtreamFake, services: JobServices
) -> None:
    await add_panel(services, fake)
    queue = JobQueue(db)
    [job_id] = Scheduler(queue, first_sync_delay_s=0).tick()
    stats = await Worker(queue, services, config=fast_config()).run(once=True)
    assert (stats.done, stats.failed, stats.retried) == (1, 0, 0)
    job = queue.get(job_id)
    assert job is not None and job.status == "done" and job.result is not None
    expected = {"channel": 20, "movie": 30, "show": 4}
    assert job.result["status"] == "ok" and job.result["added"] == expected
    assert {k: v for k, v in item_counts(db).items() if k in expected} == expected
    info = services.engine.sources.get("panel")
    assert info.status == "ok" and info.last_sync is not None
    # Synced just now: nothing more is due.
    assert Scheduler(queue, first_sync_delay_s=0).tick() == []


async def test_offline_panel_is_retried_refused_credentials_are_not(
    db: Database, fake: XtreamFake, services: JobServices
) -> None:
    source_id = await add_panel(services, fake)
    queue = JobQueue(db, backoff_base_s=30)
    fake.faults.set("reset")
    offline = enqueue_sync(queue, source_id, "panel")
    await Worker(queue, services, config=fast_config()).run(once=True)
    job = queue.get(offline)
    assert job is not None and (job.status, job.attempts) == ("queued", 1)
    assert services.engine.sources.get("panel").status == "offline"
    queue.cancel(offline)

    fake.faults.set("auth0")
    refused = enqueue_sync(queue, source_id, "panel")
    stats = await Worker(queue, services, config=fast_config()).run(once=True)
    job = queue.get(refused)
    assert job is not None and job.status == "failed" and "credentials" in (job.error or "")
    assert stats.failed == 1 and item_counts(db) == {}


async def test_server_jobs_sync_through_the_sync_manager(
    db: Database, fake: XtreamFake, services: JobServices
) -> None:
    source_id = await add_panel(services, fake)
    manager = SyncManager(services.engine, services.post)
    services.run_sync = sync_via(manager)
    queue = JobQueue(db)
    first = enqueue_sync(queue, source_id, "panel")
    await Worker(queue, services, config=fast_config()).run(once=True)
    assert [r.status for r in manager.results] == ["ok"]  # the UI's list of results
    assert run_count(db) == 1

    job = queue.get(first)
    assert job is not None and job.status == "done" and job.result is not None
    assert job.result["status"] == "ok"

    # A person pressed "Sync now" just before the job came up: one sync, shared. (On
    # SQLite a claim waits for that sync's write lock; on PostgreSQL it gets here.)
    fake.faults.set("slow", delay=0.3, actions={"get_series"})
    manager.start(["panel"])
    result = await services.sync("panel", False)
    assert result is not None and result.ok
    assert result.run_id == manager.results[-1].run_id
    assert run_count(db) == 2


async def test_cancel_from_the_ui_cancels_the_job(
    db: Database, fake: XtreamFake, services: JobServices
) -> None:
    source_id = await add_panel(services, fake)
    manager = SyncManager(services.engine, services.post)
    services.run_sync = sync_via(manager)
    queue = JobQueue(db)
    fake.faults.set("slow", delay=2.0, actions={"get_series"})
    job_id = enqueue_sync(queue, source_id, "panel")
    run = asyncio.create_task(Worker(queue, services, config=fast_config()).run(once=True))
    for _ in range(200):
        if "panel" in manager.running:
            break
        await asyncio.sleep(0.01)
    assert await manager.cancel(["panel"]) == ["panel"]
    stats = await asyncio.wait_for(run, 10)
    job = queue.get(job_id)
    assert job is not None and job.status == "cancelled" and stats.cancelled == 1
    assert item_counts(db) == {}  # the sync rolled back
