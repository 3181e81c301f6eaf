"""Typed events. Listeners (WebSocket, job queue, CLI progress) match on the class.

Events carry ids and counts, never secrets or whole records, so they are cheap to queue
and safe to forward to a browser. `ItemsChanged` is one batch per written chunk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class Event:
    """Base of every event; `name` is the wire name used by the WebSocket and NOTIFY."""

    name: ClassVar[str] = "event"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form: the wire name plus the fields."""
        data = {k: _plain(v) for k, v in self.__dict__.items()}
        data["event"] = self.name
        return data


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class SyncStarted(Event):
    name: ClassVar[str] = "sync.started"
    source: str
    run_id: int
    full: bool


@dataclass(frozen=True)
class SyncProgress(Event):
    """Where a running sync is; coalesced so a listener only sees the latest one."""

    name: ClassVar[str] = "sync.progress"
    source: str
    run_id: int
    phase: str
    done: int
    total: int | None = None


@dataclass(frozen=True)
class SyncCompleted(Event):
    name: ClassVar[str] = "sync.completed"
    source: str
    run_id: int
    added: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    duration_s: float = 0.0


@dataclass(frozen=True)
class SyncFailed(Event):
    name: ClassVar[str] = "sync.failed"
    source: str
    run_id: int
    status: str  # "failed" | "cancelled"
    error: str


@dataclass(frozen=True)
class ItemsChanged(Event):
    """Ids created/updated/deleted per item type, for one written chunk (or a merged burst)."""

    name: ClassVar[str] = "items.changed"
    source: str
    created: dict[str, list[int]] = field(default_factory=dict)
    updated: dict[str, list[int]] = field(default_factory=dict)
    deleted: dict[str, list[int]] = field(default_factory=dict)

    def merge(self, other: ItemsChanged) -> ItemsChanged:
        """One event standing for both, as a slow listener would have seen them in order."""
        return ItemsChanged(
            source=self.source,
            created=_merge_ids(self.created, other.created),
            updated=_merge_ids(self.updated, other.updated),
            deleted=_merge_ids(self.deleted, other.deleted),
        )

    @property
    def empty(self) -> bool:
        return not (self.created or self.updated or self.deleted)


def _merge_ids(a: dict[str, list[int]], b: dict[str, list[int]]) -> dict[str, list[int]]:
    merged = {k: list(v) for k, v in a.items()}
    for key, ids in b.items():
        merged.setdefault(key, []).extend(ids)
    return merged


@dataclass(frozen=True)
class SourceStatusChanged(Event):
    name: ClassVar[str] = "source.status"
    source: str
    status: str
    previous: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class WatchStateChanged(Event):
    name: ClassVar[str] = "watch.changed"
    user_id: int
    item_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class EventsDropped(Event):
    """Told to a listener that fell so far behind that events were lost: refetch state."""

    name: ClassVar[str] = "events.dropped"
    count: int = 0
