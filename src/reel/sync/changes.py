"""What a sync changed: per-type counts for the summary, per-chunk id batches for events."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class ChunkChanges:
    """Ids created/updated/deleted in one written chunk, per item type."""

    created: dict[str, list[int]] = field(default_factory=dict)
    updated: dict[str, list[int]] = field(default_factory=dict)
    deleted: dict[str, list[int]] = field(default_factory=dict)

    def add(self, kind: str, item_type: str, item_id: int) -> None:
        getattr(self, kind).setdefault(item_type, []).append(item_id)

    @property
    def empty(self) -> bool:
        return not (self.created or self.updated or self.deleted)


@dataclass
class SyncCounts:
    """Running totals over a whole sync."""

    added: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    removed: Counter[str] = field(default_factory=Counter)
    unchanged: int = 0

    def absorb(self, chunk: ChunkChanges) -> None:
        for item_type, ids in chunk.created.items():
            self.added[item_type] += len(ids)
        for item_type, ids in chunk.updated.items():
            self.updated[item_type] += len(ids)
        for item_type, ids in chunk.deleted.items():
            self.removed[item_type] += len(ids)

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {
            "added": dict(self.added),
            "updated": dict(self.updated),
            "removed": dict(self.removed),
        }
