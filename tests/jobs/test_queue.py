"""The queue on both databases: order, dedupe, exclusive claims under races, leases,
retries with backoff, cancellation, fencing, housekeeping, and the migration."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect

from reel.catalog.db import Database
from reel.catalog.models import Base
from reel.catalog.types import utcnow
from reel.jobs.identity import location, new_worker_id, worker_state
from reel.jobs.queue import JobQueue
from tests.jobs.race import drain, drain_in_process


def test_claim_takes_the_most_urgent_due_job_first(queue: JobQueue) -> None:
    now = utcnow()
    low = queue.enqueue("a", {"n": 1}, now=now)
    high = queue.enqueue("a", {"n": 2}, priority=5, now=now)
    later = queue.enqueue("a", {"n": 3}, priority=9, delay_s=60, now=now)
    other = queue.enqueue("b", now=now)
    assert [j.id for j in queue.claim("w", limit=1, types=["a"], now=now)] == [high]
    claimed = queue.claim("w", limit=10, now=now)
    assert [j.id for j in claimed] == [low, other]  # `later` is not due yet
    assert all(j.status == "running" and j.attempts == 1 and j.locked_by == "w" for j in claimed)
    assert [j.id for j in queue.claim("w", now=now + timedelta(seconds=61))] == [later]
    assert queue.claim("w", now=now + timedelta(seconds=61)) == []
    assert claimed[0].payload == {"n": 1}


def test_dedupe_keeps_one_queued_job_and_moves_it_up(queue: JobQueue) -> None:
    now = utcnow()
    first = queue.enqueue("sync", {"v": 1}, dedupe_key="k", delay_s=300, now=now)
    again = queue.enqueue("sync", {"v": 2}, dedupe_key="k", priority=3, now=now)
    assert again == first
    job = queue.get(first)
    assert job is not None and job.payload == {"v": 1} and job.priority == 3
    assert job.run_after == now  # the earlier of the two wishes
    assert queue.counts() == {"queued": 1}
    assert queue.enqueue("sync", dedupe_key="other", now=now) != first


def test_a_running_key_admits_one_queued_twin_that_waits_for_it(queue: JobQueue) -> None:
    first = queue.enqueue("sync", dedupe_key="k")
    [running] = queue.claim("w1")
    twin = queue.enqueue("sync", dedupe_key="k")
    assert twin != first
    assert queue.enqueue("sync", dedupe_key="k") == twin
    assert not queue.has_due()
    assert queue.claim("w2") == []  # never two runs of one key at once
    assert queue.complete(running)
    assert queue.has_due()
    assert [j.id for j in queue.claim("w2")] == [twin]


@pytest.mark.parametrize("batch", [1, 4])
def test_racing_threads_never_claim_the_same_job(db: Database, batch: int) -> None:
    queue = JobQueue(db)
    queue.enqueue_many("noop", [{"i": i} for i in range(120)])
    results: dict[str, list[int]] = {}

    def run(name: str) -> None:
        results[name] = drain(JobQueue(db), name, batch)

    threads = [threading.Thread(target=run, args=(f"t{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    claimed = [i for ids in results.values() for i in ids]
    assert len(results) == 4
    assert len(claimed) == len(set(claimed)) == 120
    assert queue.counts() == {"done": 120}


def test_racing_processes_never_claim_the_same_job(db: Database) -> None:
    queue = JobQueue(db)
    queue.enqueue_many("noop", [{"i": i} for i in range(200)])
    ctx = multiprocessing.get_context("spawn")
    start, out = ctx.Barrier(2), ctx.Queue()
    procs = [
        ctx.Process(target=drain_in_process, args=(db.url, f"p{i}", 2, start, out))
        for i in range(2)
    ]
    for proc in procs:
        proc.start()
    per_process = [out.get(timeout=60)[1] for _ in procs]
    for proc in procs:
        proc.join(timeout=10)
    claimed = [i for ids in per_process for i in ids]
    assert len(claimed) == len(set(claimed)) == 200
    assert all(per_process), "both processes should have got work"
    assert queue.counts() == {"done": 200}


def test_an_expired_lease_returns_the_job_and_fences_the_old_worker(queue: JobQueue) -> None:
    now = utcnow()
    job_id = queue.enqueue("sync", now=now)
    [old] = queue.claim("far-away-host/1/aaaaaa", now=now)
    assert queue.recover(lease_s=60, now=now + timedelta(seconds=30)) == []
    assert queue.renew(old.locked_by or "", [job_id], now=now + timedelta(seconds=30)) == set()
    # Renewed at +30 s, so the lease runs out at +90 s.
    assert queue.recover(lease_s=60, now=now + timedelta(seconds=80)) == []
    assert queue.recover(lease_s=60, now=now + timedelta(seconds=91)) == [job_id]
    back = queue.get(job_id)
    assert back is not None and back.status == "queued" and "lease expired" in (back.error or "")
    later = now + timedelta(seconds=91 + 80)  # after the backoff
    [new] = queue.claim("w2", now=later)
    assert new.id == job_id and new.attempts == 2
    # The old worker comes back: none of its writes land, and it learns it lost the job.
    assert not queue.complete(old, {"late": True})
    assert queue.fail(old, "late failure") == "lost"
    assert queue.renew(old.locked_by or "", [job_id]) == {job_id}
    assert queue.complete(new, {"ok": True})
    done = queue.get(job_id)
    assert done is not None and done.status == "done" and done.result == {"ok": True}


def test_local_workers_are_judged_by_their_process_not_their_lease(queue: JobQueue) -> None:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    pid = proc.stdout.strip()
    dead, alive = f"{location()}/{pid}/abcdef", new_worker_id()
    assert worker_state(dead) == "gone" and worker_state(alive) == "alive"
    assert worker_state(f"elsewhere/{pid}/abcdef") == "unknown"
    gone_job, busy_job = queue.enqueue("sync"), queue.enqueue("sync")
    queue.claim(dead)
    queue.claim(alive)
    # The dead one's job comes back at once; the live one keeps its job even though its
    # lease ran out (on SQLite a long sync holds the write lock it would renew with).
    assert queue.recover(lease_s=60, now=utcnow() + timedelta(hours=1)) == [gone_job]
    job = queue.get(gone_job)
    assert job is not None and job.status == "queued" and "process gone" in (job.error or "")
    busy = queue.get(busy_job)
    assert busy is not None and busy.status == "running"


def test_retries_back_off_exponentially_then_fail(queue: JobQueue) -> None:
    now = utcnow()
    job_id = queue.enqueue("x", max_attempts=4, now=now)
    delays = []
    for attempt in range(1, 5):
        [job] = queue.claim("w", now=now)
        assert job.attempts == attempt
        status = queue.fail(job, f"boom {attempt}", now=now)
        stored = queue.get(job_id)
        assert stored is not None and stored.error == f"boom {attempt}"
        if attempt < 4:
            assert status == "queued" and stored.run_after is not None
            delays.append((stored.run_after - now).total_seconds())
            assert queue.claim("w", now=now) == []  # not before its time
            now = stored.run_after
        else:
            assert status == "failed" and stored.finished_at is not None
    # base 10 s doubling, with jitter in [50 %, 100 %] of each step
    for delay, full in zip(delays, (10, 20, 40), strict=True):
        assert full / 2 <= delay <= full
    assert delays[0] < delays[2]


def test_backoff_is_capped_and_jittered(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'q.db'}")  # arithmetic: one database is enough
    queue = JobQueue(db, backoff_base_s=10.0, backoff_max_s=80.0)
    values = [queue.backoff(20) for _ in range(50)]
    db.dispose()
    assert all(40 <= v <= 80 for v in values) and len(set(values)) > 40


def test_permanent_failure_and_explicit_delay(queue: JobQueue) -> None:
    now = utcnow()
    a = queue.enqueue("x", now=now)
    b = queue.enqueue("x", now=now)
    ja, jb = queue.claim("w", limit=2, now=now)
    assert queue.fail(ja, "refused", retry=False, now=now) == "failed"
    assert queue.fail(jb, "rate limited", delay_s=2.5, now=now) == "queued"
    stored = queue.get(b)
    assert stored is not None and stored.run_after == now + timedelta(seconds=2.5)
    failed = queue.get(a)
    assert failed is not None and failed.status == "failed" and failed.attempts == 1


def test_cancel_queued_at_once_and_running_by_request(queue: JobQueue) -> None:
    queued = queue.enqueue("x")
    assert queue.cancel(queued) == "cancelled"
    assert queue.claim("w") == []
    running_id = queue.enqueue("x")
    [running] = queue.claim("w")
    assert queue.cancel_requested([running_id]) == set()
    assert queue.cancel(running_id) == "cancelling"
    assert queue.cancel_requested([running_id]) == {running_id}
    assert queue.mark_cancelled(running)
    assert queue.cancel(running_id) == "cancelled"  # already over: says so
    assert queue.cancel(999_999) is None
    assert queue.counts() == {"cancelled": 2}


def test_release_does_not_count_the_attempt(queue: JobQueue) -> None:
    job_id = queue.enqueue("x", dedupe_key="k")
    [job] = queue.claim("w")
    assert queue.release(job) == "queued"
    [again] = queue.claim("w")
    assert again.id == job_id and again.attempts == 1
    # A newer twin was queued meanwhile: handing back would make two, so it yields.
    twin = queue.enqueue("x", dedupe_key="k")
    assert queue.release(again) == "cancelled"
    assert [j.id for j in queue.claim("w")] == [twin]


def test_prune_forgets_old_finished_jobs_only(queue: JobQueue) -> None:
    now = utcnow()
    old, fresh, waiting = (queue.enqueue("x", now=now) for _ in range(3))
    jobs = {j.id: j for j in queue.claim("w", limit=2, now=now)}
    queue.complete(jobs[old], now=now - timedelta(days=10))
    queue.complete(jobs[fresh], now=now)
    assert queue.prune(7 * 86400, now=now) == 1
    assert queue.get(old) is None and queue.get(fresh) is not None
    assert queue.get(waiting) is not None


def test_migration_builds_the_table_the_model_describes(db: Database) -> None:
    model = Base.metadata.tables["jobs"]
    inspector = inspect(db.engine)
    columns = {c["name"]: c["nullable"] for c in inspector.get_columns("jobs")}
    assert columns == {c.name: c.nullable for c in model.columns}
    indexes = {
        ix["name"]: (ix["unique"], ix["column_names"]) for ix in inspector.get_indexes("jobs")
    }
    assert indexes["uq_jobs_queued_key"] == (True, ["dedupe_key"])
    assert indexes["ix_jobs_running_key"] == (False, ["dedupe_key"])
    assert indexes["ix_jobs_finished"] == (False, ["finished_at"])
    assert set(indexes) == {ix.name for ix in model.indexes}
