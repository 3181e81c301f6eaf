"""How a sync ended, for the JSON summary, and how errors become source states."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from reel.sources.errors import CannotConnect, InvalidAuth, SourceError

log = logging.getLogger(__name__)


@dataclass
class SyncResult:
    """One source's sync as `reel sync --json` reports it."""

    name: str
    status: str  # ok | failed | cancelled
    error: str | None = None
    added: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    duration_s: float = 0.0
    kind: str = "full"
    run_id: int | None = None
    source_status: str | None = None
    changed_parents: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "error": self.error,
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "duration_s": round(self.duration_s, 3),
            "kind": self.kind,
            "source_status": self.source_status,
        }


@dataclass(frozen=True)
class Failure:
    """A failed sync: run status, the source status it leads to, and the one-line message."""

    run_status: str
    source_status: str | None
    message: str


def classify(exc: BaseException, source: str) -> Failure:
    """Map an exception to a source state, the way Home Assistant maps client errors."""
    text = " ".join(str(exc).split())
    if isinstance(exc, InvalidAuth):
        message = f"bad credentials for source {source}"
        if text and "credential" not in text.lower():
            message = f"{message}: {text}"
        return Failure("failed", "needs_sign_in", message)
    if isinstance(exc, CannotConnect):
        return Failure("failed", "offline", text or f"cannot reach source {source}")
    if isinstance(exc, SourceError):
        return Failure("failed", "error", text or f"source {source} sent an unusable response")
    if isinstance(exc, SQLAlchemyError):
        detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        return Failure("failed", "error", f"database error while syncing {source}: {detail}")
    return Failure("failed", "error", f"unexpected error: {type(exc).__name__}: {text}")
