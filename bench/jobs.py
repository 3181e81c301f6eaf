"""Job queue throughput: claim + complete of N no-op jobs, 1 and 2 workers, both databases.

    .venv/bin/python bench/jobs.py [--jobs 2000] [--postgres URL | --no-postgres]

For each database, in one run:
- baseline: the least any database-backed queue must do per job, a raw INSERT and a raw
  DELETE of one row, each committed on its own (two commits, like claim + complete);
- the queue's own calls (`claim(limit=1)` then `complete`) in 1 and in 2 processes;
- the same with a batch claim (`limit=8`), as a worker with free slots does;
- the real `Worker` loop (asyncio, threads for the database, concurrency 4, no-op
  handler) in 1 and 2 processes.
Jobs are enqueued in bulk beforehand (not timed). Worker processes start together on a
barrier; the time is from the barrier to the last job done. Ratios are queue jobs/s over
baseline jobs/s (1.0 = as cheap as a bare insert + delete). Not a timed test.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from reel.catalog.db import Database
from reel.jobs.queue import JobQueue
from reel.jobs.records import Job
from reel.jobs.worker import Worker, WorkerConfig

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def baseline(db: Database, n: int) -> float:
    """Seconds for n × (INSERT commit, DELETE commit) on a plain table."""
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_raw"))
        key = "INTEGER PRIMARY KEY" if db.dialect == "sqlite" else "BIGSERIAL PRIMARY KEY"
        conn.execute(text(f"CREATE TABLE bench_raw (id {key}, payload TEXT NOT NULL)"))
    started = time.perf_counter()
    for i in range(n):
        with db.engine.begin() as conn:
            row_id = conn.execute(
                text("INSERT INTO bench_raw (payload) VALUES (:p) RETURNING id"),
                {"p": f'{{"i":{i}}}'},
            ).scalar_one()
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM bench_raw WHERE id = :id"), {"id": row_id})
    return time.perf_counter() - started


def _api_loop(queue: JobQueue, worker_id: str, batch: int) -> int:
    done = misses = 0
    while misses < 3:
        jobs = queue.claim(worker_id, limit=batch)
        if not jobs:
            misses += 1
            continue
        misses = 0
        for job in jobs:
            queue.complete(job)
            done += 1
    return done


async def _noop(_svc: Any, _job: Job) -> None:
    return None


def _worker_loop(queue: JobQueue, worker_id: str, _batch: int) -> int:
    config = WorkerConfig(concurrency=4, poll_s=0.01, heartbeat_s=1.0)
    worker = Worker(queue, None, handlers={"noop": _noop}, config=config, worker_id=worker_id)
    return asyncio.run(worker.run(once=True)).done


LOOPS: dict[str, Callable[[JobQueue, str, int], int]] = {"api": _api_loop, "worker": _worker_loop}


def _process(url: str, loop: str, batch: int, name: str, start: Any, out: Any) -> None:
    db = Database(url, migrate=False)
    queue = JobQueue(db)
    queue.has_due()  # connect before the start line
    start.wait()
    began = time.monotonic()
    done = LOOPS[loop](queue, name, batch)
    out.put((began, time.monotonic(), done))
    db.dispose()


def run_workers(db: Database, n: int, workers: int, loop: str, batch: int) -> float:
    """Seconds for `workers` processes to claim and complete n queued no-op jobs."""
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM jobs"))
    JobQueue(db).enqueue_many("noop", [{"i": i} for i in range(n)])
    ctx = multiprocessing.get_context("spawn")
    start, out = ctx.Barrier(workers), ctx.Queue()
    procs = [
        ctx.Process(target=_process, args=(db.url, loop, batch, f"w{i}", start, out))
        for i in range(workers)
    ]
    for proc in procs:
        proc.start()
    results = [out.get(timeout=600) for _ in procs]
    for proc in procs:
        proc.join()
    total = sum(r[2] for r in results)
    assert total == n, f"{total} of {n} jobs done"
    return max(r[1] for r in results) - min(r[0] for r in results)


def bench(label: str, url: str, n: int) -> None:
    db = Database(url)
    try:
        base = baseline(db, n)
        print(f"\n{label}: {n} no-op jobs")
        print(f"  {'baseline INSERT+DELETE':<34} {n / base:9.0f} jobs/s   1.00")
        for loop, batch, title in (
            ("api", 1, "claim(1) + complete"),
            ("api", 8, "claim(8) + complete"),
            ("worker", 4, "Worker loop, concurrency 4"),
        ):
            for workers in (1, 2):
                took = run_workers(db, n, workers, loop, batch)
                name = f"{title}, {workers} proc"
                print(f"  {name:<34} {n / took:9.0f} jobs/s   {base / took:.2f}")
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--postgres", default=PG_DEFAULT, help="PostgreSQL URL to measure on")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="reel-bench-jobs-") as tmp:
        bench("SQLite", f"sqlite:///{Path(tmp) / 'jobs.db'}", args.jobs)
    if args.no_postgres:
        return
    schema = f"bench_jobs_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        print(f"\nPostgreSQL skipped: {exc.__class__.__name__}: {str(exc).splitlines()[0]}")
        return
    try:
        bench("PostgreSQL", f"{args.postgres}?options=-csearch_path%3D{schema}", args.jobs)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
