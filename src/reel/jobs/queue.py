"""The persistent job queue, in the catalog database so it needs nothing else to run.

Claiming is one statement on both databases, so two workers can never take the same job:
on PostgreSQL a `SELECT … FOR UPDATE SKIP LOCKED` (materialised, so it runs once) feeds
an `UPDATE … RETURNING`, which lets workers on several machines share one queue without
waiting on each other; on SQLite the `UPDATE … WHERE id IN (SELECT …) RETURNING` takes
the database's single write lock before it reads, which makes it atomic by itself.

A claimed job carries a lease (`locked_by`, `locked_at`) that its worker renews. A job
whose worker on this host is gone, or whose worker elsewhere let its lease run out, goes
back to the queue with a backoff (or fails once out of attempts); see `identity`. Every
write about a claimed job is fenced by `(id, locked_by, attempts)`: a worker that lost
its lease cannot overwrite the outcome of the attempt that replaced it.

Times come from this process's clock (SQLite has no time zone-aware `now()`); workers on
several machines need clocks that agree to well within a lease.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    case,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from reel.catalog.db import Database
from reel.catalog.types import utcnow
from reel.jobs.identity import worker_state
from reel.jobs.records import CANCELLED, DONE, FAILED, FINISHED, QUEUED, RUNNING, Job
from reel.jobs.statements import (
    JOBS,
    QUEUED_PREDICATE,
    QUEUED_SQL,
    RUNNING_SQL,
    bind_values,
    claim_stmt,
    due_params,
    fence,
    fenced_stmt,
    has_due_stmt,
)

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 5


class JobQueue:
    """Enqueue, claim, finish and recover jobs in one catalog database."""

    def __init__(
        self,
        db: Database,
        *,
        backoff_base_s: float = 30.0,
        backoff_max_s: float = 3600.0,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self._rng = rng or random.Random()
        self._pg = db.dialect == "postgresql"

    # -- adding ------------------------------------------------------------------------

    def enqueue(
        self,
        type: str,
        payload: dict[str, Any] | None = None,
        *,
        priority: int = 0,
        delay_s: float = 0.0,
        run_after: datetime | None = None,
        dedupe_key: str | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        now: datetime | None = None,
    ) -> int:
        """Add a job; returns its id. With `dedupe_key`, a job already queued under that
        key is returned instead, moved up to run no later and no less urgently than asked."""
        now = now or utcnow()
        when = run_after or now + timedelta(seconds=delay_s)
        values = {
            "type": type,
            "payload": payload or {},
            "priority": priority,
            "status": QUEUED,
            "dedupe_key": dedupe_key,
            "attempts": 0,
            "max_attempts": max(1, max_attempts),
            "run_after": when,
            "cancel_requested": False,
            "created_at": now,
        }
        if dedupe_key is None:
            with self.db.engine.begin() as conn:
                return int(
                    conn.execute(insert(JOBS).values(values).returning(JOBS.c.id)).scalar_one()
                )
        for _ in range(5):  # the queued twin may be claimed between our two statements
            with self.db.engine.begin() as conn:
                job_id = conn.execute(self._insert_unless_queued(values)).scalar()
                if job_id is not None:
                    return int(job_id)
                merged = conn.execute(
                    update(JOBS)
                    .where(JOBS.c.dedupe_key == dedupe_key, JOBS.c.status == QUEUED_SQL)
                    .values(
                        run_after=case(
                            (JOBS.c.run_after > when, literal(when, JOBS.c.run_after.type)),
                            else_=JOBS.c.run_after,
                        ),
                        priority=case(
                            (JOBS.c.priority < priority, priority), else_=JOBS.c.priority
                        ),
                    )
                    .returning(JOBS.c.id)
                ).scalar()
                if merged is not None:
                    return int(merged)
        raise RuntimeError(f"could not enqueue a job under key {dedupe_key!r}")

    def _insert_unless_queued(self, values: dict[str, Any]) -> Any:
        dialect_insert = postgresql.insert if self._pg else sqlite.insert
        return (
            dialect_insert(JOBS)
            .values(values)
            .on_conflict_do_nothing(index_elements=["dedupe_key"], index_where=QUEUED_PREDICATE)
            .returning(JOBS.c.id)
        )

    def enqueue_many(
        self, type: str, payloads: Sequence[dict[str, Any]], *, priority: int = 0
    ) -> None:
        """Add many jobs without dedupe in one transaction (bulk work, benchmarks)."""
        now = utcnow()
        rows = [
            {
                "type": type,
                "payload": p,
                "priority": priority,
                "status": QUEUED,
                "attempts": 0,
                "max_attempts": DEFAULT_MAX_ATTEMPTS,
                "run_after": now,
                "cancel_requested": False,
                "created_at": now,
            }
            for p in payloads
        ]
        if rows:
            with self.db.engine.begin() as conn:
                conn.execute(insert(JOBS), rows)

    # -- claiming ----------------------------------------------------------------------

    def has_due(self, *, types: Iterable[str] | None = None, now: datetime | None = None) -> bool:
        """Whether a claim would find anything: a read, so an idle worker polling never
        takes SQLite's write lock (nor waits behind a sync holding it)."""
        params = due_params(now or utcnow(), types)
        with self.db.engine.connect() as conn:
            found = conn.execute(has_due_stmt(types is not None), params).first()
        return found is not None

    def claim(
        self,
        worker_id: str,
        *,
        limit: int = 1,
        types: Iterable[str] | None = None,
        now: datetime | None = None,
    ) -> list[Job]:
        """Take up to `limit` due jobs, most urgent first, skipping keys already running."""
        now = now or utcnow()
        params = {**due_params(now, types), "q_limit": max(1, limit), "q_worker": worker_id}
        with self.db.engine.begin() as conn:
            rows = conn.execute(claim_stmt(self._pg, types is not None), params)
            jobs = [Job.from_row(r) for r in rows]
        jobs.sort(key=lambda j: (-j.priority, j.run_after or now, j.id))
        return jobs

    # -- outcomes (fenced) -------------------------------------------------------------

    def _finish(self, job: Job, **values: Any) -> bool:
        stmt = fenced_stmt(tuple(sorted(values)), requeue=False)
        with self.db.engine.begin() as conn:
            done = conn.execute(stmt, {**fence(job), **bind_values(values)}).rowcount
        if not done:
            log.info("job %s (%s) was taken over; its outcome is not recorded", job.id, job.type)
        return bool(done)

    def complete(
        self, job: Job, result: dict[str, Any] | None = None, *, now: datetime | None = None
    ) -> bool:
        """Record success; False when the claim was lost meanwhile."""
        return self._finish(
            job, status=DONE, result=result, error=None, locked_at=None, finished_at=now or utcnow()
        )

    def mark_cancelled(
        self, job: Job, reason: str = "cancelled", *, now: datetime | None = None
    ) -> bool:
        return self._finish(
            job, status=CANCELLED, error=reason, locked_at=None, finished_at=now or utcnow()
        )

    def backoff(self, attempts: int) -> float:
        """Exponential in the attempts made, with jitter so retries of many jobs that
        failed together (a server went down) do not all come back at the same moment."""
        delay = min(self.backoff_max_s, self.backoff_base_s * 2 ** max(0, attempts - 1))
        return delay * (0.5 + self._rng.random() / 2)

    def fail(
        self,
        job: Job,
        error: str,
        *,
        retry: bool = True,
        delay_s: float | None = None,
        now: datetime | None = None,
    ) -> str:
        """Record a failed attempt: back to the queue after a backoff while attempts are
        left, else `failed`. Returns the new status, or "lost" when the claim was lost."""
        now = now or utcnow()
        if retry and job.attempts < job.max_attempts:
            delay = self.backoff(job.attempts) if delay_s is None else max(0.0, delay_s)
            if self._requeue(job, now + timedelta(seconds=delay), error=error):
                return QUEUED
        ok = self._finish(job, status=FAILED, error=error, locked_at=None, finished_at=now)
        return FAILED if ok else "lost"

    def release(self, job: Job, *, now: datetime | None = None) -> str:
        """Give a job back untried (the worker is stopping): the attempt is not counted."""
        now = now or utcnow()
        if self._requeue(job, now, attempts=job.attempts - 1):
            return QUEUED
        # A newer job under the same key is queued and will do the work.
        ok = self.mark_cancelled(job, "superseded by a newer queued job", now=now)
        return CANCELLED if ok else "lost"

    def _requeue(self, job: Job, when: datetime, **values: Any) -> bool:
        values = {"status": QUEUED, "run_after": when, "locked_at": None, **values}
        stmt = fenced_stmt(tuple(sorted(values)), requeue=True)
        try:
            with self.db.engine.begin() as conn:
                return bool(conn.execute(stmt, {**fence(job), **bind_values(values)}).rowcount)
        except IntegrityError:  # a twin was queued concurrently (PostgreSQL)
            return False

    # -- cancellation ------------------------------------------------------------------

    def cancel(self, job_id: int, *, now: datetime | None = None) -> str | None:
        """Cancel a job: at once when queued; a running one is asked to stop (its worker
        sees the flag at its next heartbeat). Returns the status that follows, or None."""
        now = now or utcnow()
        with self.db.engine.begin() as conn:
            if conn.execute(
                update(JOBS)
                .where(JOBS.c.id == job_id, JOBS.c.status == QUEUED)
                .values(status=CANCELLED, error="cancelled", finished_at=now)
            ).rowcount:
                return CANCELLED
            if conn.execute(
                update(JOBS)
                .where(JOBS.c.id == job_id, JOBS.c.status == RUNNING)
                .values(cancel_requested=True)
            ).rowcount:
                return "cancelling"
            status = conn.execute(select(JOBS.c.status).where(JOBS.c.id == job_id)).scalar()
        return str(status) if status is not None else None

    def cancel_requested(self, job_ids: Sequence[int]) -> set[int]:
        """Which of these running jobs someone asked to stop (a read: never blocks)."""
        if not job_ids:
            return set()
        with self.db.engine.connect() as conn:
            return set(
                conn.execute(
                    select(JOBS.c.id).where(
                        JOBS.c.id.in_(list(job_ids)),
                        JOBS.c.status == RUNNING,
                        JOBS.c.cancel_requested.is_(True),
                    )
                ).scalars()
            )

    # -- leases ------------------------------------------------------------------------

    def renew(
        self, worker_id: str, job_ids: Sequence[int], *, now: datetime | None = None
    ) -> set[int]:
        """Extend the leases of a worker's jobs; returns the ids it no longer holds."""
        if not job_ids:
            return set()
        with self.db.engine.begin() as conn:
            held = set(
                conn.execute(
                    update(JOBS)
                    .where(
                        JOBS.c.id.in_(list(job_ids)),
                        JOBS.c.locked_by == worker_id,
                        JOBS.c.status == RUNNING,
                    )
                    .values(locked_at=now or utcnow())
                    .returning(JOBS.c.id)
                ).scalars()
            )
        return set(job_ids) - held

    def recover(self, lease_s: float, *, now: datetime | None = None) -> list[int]:
        """Requeue (or fail, when out of attempts) jobs whose worker process on this host
        no longer exists, or whose worker elsewhere stopped renewing its lease."""
        now = now or utcnow()
        cutoff = now - timedelta(seconds=lease_s)
        with self.db.engine.connect() as conn:
            rows = conn.execute(select(JOBS).where(JOBS.c.status == RUNNING_SQL)).all()
        recovered: list[int] = []
        for job in map(Job.from_row, rows):
            state = worker_state(job.locked_by)
            expired = job.locked_at is None or job.locked_at < cutoff
            if state == "alive" or (state == "unknown" and not expired):
                continue
            why = "process gone" if state == "gone" else "lease expired"
            status = self.fail(job, f"worker {job.locked_by} stopped ({why})", now=now)
            if status != "lost":
                log.warning(
                    "job %s (%s) recovered from %s: %s", job.id, job.type, job.locked_by, status
                )
                recovered.append(job.id)
        return recovered

    # -- reading and housekeeping ------------------------------------------------------

    def get(self, job_id: int) -> Job | None:
        with self.db.engine.connect() as conn:
            row = conn.execute(select(JOBS).where(JOBS.c.id == job_id)).first()
        return Job.from_row(row) if row is not None else None

    def list_jobs(
        self, *, status: str | None = None, type: str | None = None, limit: int = 100
    ) -> list[Job]:
        stmt = select(JOBS).order_by(JOBS.c.id.desc()).limit(limit)
        if status is not None:
            stmt = stmt.where(JOBS.c.status == status)
        if type is not None:
            stmt = stmt.where(JOBS.c.type == type)
        with self.db.engine.connect() as conn:
            return [Job.from_row(r) for r in conn.execute(stmt)]

    def counts(self) -> dict[str, int]:
        with self.db.engine.connect() as conn:
            rows = conn.execute(select(JOBS.c.status, func.count()).group_by(JOBS.c.status))
            return {str(s): int(n) for s, n in rows}

    def prune(self, older_than_s: float, *, now: datetime | None = None) -> int:
        """Forget finished jobs older than this; the queue is not an archive."""
        cutoff = (now or utcnow()) - timedelta(seconds=older_than_s)
        with self.db.engine.begin() as conn:
            return int(
                conn.execute(
                    delete(JOBS).where(JOBS.c.status.in_(FINISHED), JOBS.c.finished_at < cutoff)
                ).rowcount
            )
