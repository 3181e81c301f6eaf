"""`sync_runs` bookkeeping and source status, each in a transaction of its own.

A run row is written before the sync's transaction opens. A failed run is closed after
that transaction ended, so the record of the failure survives the rollback of the work it
describes; a successful one is closed inside it (`close_run`), together with its work.
(On SQLite the sync holds the write lock for its whole transaction; the small writes of
their own never overlap it.)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from reel.catalog.db import writing
from reel.catalog.models import Base
from reel.catalog.types import utcnow

SYNC_RUNS = Base.metadata.tables["sync_runs"]
SOURCES = Base.metadata.tables["sources"]


def start_run(engine: Engine, source_id: int, kind: str) -> int:
    """Open a run row in state `running`; returns its id."""
    with engine.begin() as conn:
        run_id: int = conn.execute(
            insert(SYNC_RUNS)
            .values(
                source_id=source_id, kind=kind, status="running", started_at=utcnow(), counts={}
            )
            .returning(SYNC_RUNS.c.id)
        ).scalar_one()
    return run_id


def finish_run(
    engine: Engine, run_id: int, status: str, counts: dict[str, Any], error: str | None
) -> None:
    """Close a run row with its outcome, in a transaction of its own (a failed run)."""
    with engine.begin() as conn:
        close_run(conn, run_id, status, counts, error)


def close_run(
    conn: Connection, run_id: int, status: str, counts: dict[str, Any], error: str | None
) -> None:
    """Close a run row with its outcome in the caller's transaction: a successful run is
    closed in its own unit of work, so the catalog never holds a sync's work while its
    run still says "running"."""
    conn.execute(
        update(SYNC_RUNS)
        .where(SYNC_RUNS.c.id == run_id)
        .values(status=status, finished_at=utcnow(), counts=counts, error=error)
    )


def last_success_start(engine: Engine, source_id: int) -> datetime | None:
    """When the last successful sync began: what an incremental listing asks changes since."""
    with engine.connect() as conn:
        started: datetime | None = conn.execute(
            select(SYNC_RUNS.c.started_at)
            .where(SYNC_RUNS.c.source_id == source_id, SYNC_RUNS.c.status == "ok")
            .order_by(SYNC_RUNS.c.started_at.desc(), SYNC_RUNS.c.id.desc())
            .limit(1)
        ).scalar()
    return started


def run_started_at(engine: Engine, run_id: int) -> datetime:
    with engine.connect() as conn:
        started: datetime = conn.execute(
            select(SYNC_RUNS.c.started_at).where(SYNC_RUNS.c.id == run_id)
        ).scalar_one()
    return started


def set_source_failure(
    engine: Engine, source_id: int, status: str | None, error: str
) -> str | None:
    """Record a failed sync on the source; returns the status it had before."""
    with writing(engine) as conn:
        previous: str | None = conn.execute(
            select(SOURCES.c.status).where(SOURCES.c.id == source_id)
        ).scalar()
        values: dict[str, Any] = {"last_error": error}
        if status is not None:
            values["status"] = status
        conn.execute(update(SOURCES).where(SOURCES.c.id == source_id).values(**values))
    return previous
