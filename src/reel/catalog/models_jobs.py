"""The persistent job queue's table. Migration 0004_jobs creates it.

Two partial indexes carry the queue's rules: `ix_jobs_due` serves the claim (queued jobs
in priority order, so a claim reads one index range), and `uq_jobs_queued_key` lets at
most one *queued* job hold a dedupe key, so a source never has two pending syncs while a
change noticed during a running sync can still queue the next one. `ix_jobs_running_key`
lets the claim skip a key that is already running, so those two never run at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from reel.catalog.models import Base, Key
from reel.catalog.types import JSONType, utcnow

QUEUED = text("status = 'queued'")
RUNNING = text("status = 'running'")


class Job(Base):
    """One unit of background work; `payload` says what, `status` how far it got."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index(
            "ix_jobs_due",
            text("priority DESC"),
            "run_after",
            "id",
            sqlite_where=QUEUED,
            postgresql_where=QUEUED,
        ),
        Index(
            "uq_jobs_queued_key",
            "dedupe_key",
            unique=True,
            sqlite_where=QUEUED,
            postgresql_where=QUEUED,
        ),
        Index("ix_jobs_running_key", "dedupe_key", sqlite_where=RUNNING, postgresql_where=RUNNING),
        Index("ix_jobs_finished", "finished_at"),
    )

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(255))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    locked_by: Mapped[str | None] = mapped_column(String(200))
    locked_at: Mapped[datetime | None] = mapped_column()
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
