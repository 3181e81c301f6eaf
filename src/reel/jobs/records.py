"""What a job is once read from the queue, and the errors handlers raise to steer it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
ACTIVE = (QUEUED, RUNNING)
FINISHED = (DONE, FAILED, CANCELLED)


@dataclass(frozen=True)
class Job:
    """A job row as claimed or read. `(id, locked_by, attempts)` is the claim's fence:
    a worker's writes about the job only land while all three still match, so a worker
    whose lease was taken over cannot overwrite what the new owner does."""

    id: int
    type: str
    payload: dict[str, Any]
    status: str
    priority: int = 0
    attempts: int = 0
    max_attempts: int = 5
    dedupe_key: str | None = None
    run_after: datetime | None = None
    locked_by: str | None = None
    locked_at: datetime | None = None
    cancel_requested: bool = False
    error: str | None = None
    result: dict[str, Any] | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Any) -> Job:
        m = row._mapping
        return cls(**{name: m[name] for name in _FIELDS})

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in _FIELDS:
            value = getattr(self, name)
            out[name] = value.isoformat() if isinstance(value, datetime) else value
        return out


_FIELDS = tuple(Job.__dataclass_fields__)


class JobError(Exception):
    """Raised by a handler to say how its failure should be treated."""


class RetryableJobError(JobError):
    """Worth another attempt later (server offline, rate limited); `delay_s` overrides
    the queue's backoff when the handler knows better (a Retry-After)."""

    def __init__(self, message: str, *, delay_s: float | None = None) -> None:
        super().__init__(message)
        self.delay_s = delay_s


class PermanentJobError(JobError):
    """Another attempt would fail the same way (source removed, credentials refused)."""


class JobCancelled(JobError):
    """The work was cancelled elsewhere (a person stopped the sync in the UI)."""


@dataclass
class WorkerStats:
    """What one worker run did, for `reel worker --once --json` and the tests."""

    claimed: int = 0
    done: int = 0
    failed: int = 0
    retried: int = 0
    cancelled: int = 0
    released: int = 0
    lost: int = 0
    by_type: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "claimed": self.claimed,
            "done": self.done,
            "failed": self.failed,
            "retried": self.retried,
            "cancelled": self.cancelled,
            "released": self.released,
            "lost": self.lost,
            "by_type": dict(self.by_type),
        }
