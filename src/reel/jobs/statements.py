"""The queue's SQL, built once per shape: constructing a statement with SQLAlchemy costs
more than SQLite takes to run it, so the claim and the fenced updates are prepared with
bind parameters and reused (bench/jobs.py: claim + complete went from 1.35 to 0.29 ms).

Status tests are literals, not parameters, so the partial indexes (`ix_jobs_due`,
`ix_jobs_running_key`) stay usable under a generic plan on PostgreSQL and on SQLite,
which only uses a partial index when it can prove the predicate from the query text.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    exists,
    literal_column,
    or_,
    select,
    text,
    update,
)

from reel.catalog.models import Base
from reel.jobs.records import RUNNING, Job

JOBS = Base.metadata.tables["jobs"]
# Written as text so that ON CONFLICT names exactly the partial index's predicate.
QUEUED_PREDICATE = text("status = 'queued'")
QUEUED_SQL: ColumnElement[str] = literal_column("'queued'")
RUNNING_SQL: ColumnElement[str] = literal_column("'running'")

_NOW = bindparam("q_now", type_=JOBS.c.run_after.type)
_TWIN = JOBS.alias("twin")
# A claim's fence: the job as this worker claimed it.
_OWNED = and_(
    JOBS.c.id == bindparam("f_id"),
    JOBS.c.status == RUNNING_SQL,
    JOBS.c.locked_by == bindparam("f_by"),
    JOBS.c.attempts == bindparam("f_attempts"),
)


def due_params(now: datetime, types: Iterable[str] | None) -> dict[str, Any]:
    params: dict[str, Any] = {"q_now": now}
    if types is not None:
        params["q_types"] = list(types)
    return params


def due_select(with_types: bool) -> Select[tuple[int]]:
    """Due queued jobs whose dedupe key is not running, most urgent first."""
    due = (
        select(JOBS.c.id)
        .where(
            JOBS.c.status == QUEUED_SQL,
            JOBS.c.run_after <= _NOW,
            or_(
                JOBS.c.dedupe_key.is_(None),
                ~exists().where(
                    _TWIN.c.status == RUNNING_SQL, _TWIN.c.dedupe_key == JOBS.c.dedupe_key
                ),
            ),
        )
        .order_by(JOBS.c.priority.desc(), JOBS.c.run_after, JOBS.c.id)
    )
    if with_types:
        due = due.where(JOBS.c.type.in_(bindparam("q_types", expanding=True)))
    return due


@functools.cache
def has_due_stmt(with_types: bool) -> Select[tuple[int]]:
    return due_select(with_types).limit(1)


@functools.cache
def claim_stmt(pg: bool, with_types: bool) -> Any:
    due = due_select(with_types).limit(bindparam("q_limit", type_=Integer))
    if pg:
        picked = due.with_for_update(skip_locked=True).cte("due").prefix_with("MATERIALIZED")
        target: ColumnElement[bool] = JOBS.c.id.in_(select(picked.c.id))
    else:
        target = JOBS.c.id.in_(due.scalar_subquery())
    return (
        update(JOBS)
        .where(target, JOBS.c.status == QUEUED_SQL)  # re-checked on a row another took
        .values(
            status=RUNNING,
            locked_by=bindparam("q_worker"),
            locked_at=_NOW,
            started_at=_NOW,
            attempts=JOBS.c.attempts + 1,
        )
        .returning(*JOBS.c)
    )


@functools.cache
def fenced_stmt(keys: tuple[str, ...], *, requeue: bool) -> Any:
    """UPDATE of a claimed job's `keys`; a requeue also yields to a queued twin."""
    stmt = update(JOBS).where(_OWNED)
    if requeue:
        stmt = stmt.where(
            ~exists().where(_TWIN.c.status == QUEUED_SQL, _TWIN.c.dedupe_key == JOBS.c.dedupe_key)
        )
    return stmt.values({k: bindparam(f"v_{k}", type_=JOBS.c[k].type) for k in keys})


def fence(job: Job) -> dict[str, Any]:
    return {"f_id": job.id, "f_by": job.locked_by, "f_attempts": job.attempts}


def bind_values(values: dict[str, Any]) -> dict[str, Any]:
    return {f"v_{k}": v for k, v in values.items()}
