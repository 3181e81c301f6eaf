"""Bookkeeping shared by incremental listings of servers without tombstones (Plex,
Jellyfin): per-(library, type) counts, the watched/in-progress sets, and when the last
full id sweep ran. Each adapter's own `freshness` module says what its counts mean.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reel.sources.records import ItemType, UserDataRecord

SWEEP_HOURS = 24.0
SWEEP_EVERY = 96

# {remote id: [first, second]} — e.g. [view count, offset] or [played, position ticks].
WatchMap = dict[str, list[int]]


def count_key(library_id: str, item_type: str) -> str:
    return f"{library_id}:{item_type}"


@dataclass
class CountBook:
    """The part of `ctx.state` both adapters keep, read at a sync's start, written at its end."""

    counts: dict[str, list[Any]] = field(default_factory=dict)  # key -> [total, newest]
    watch: dict[str, WatchMap] = field(default_factory=dict)
    swept_at: float = 0.0
    syncs_since_sweep: int = 0

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> dict[str, Any] | None:
        """The constructor arguments kept in `state`, or None when they are unusable."""
        counts, watch = state.get("counts"), state.get("watch")
        if not isinstance(counts, dict) or not isinstance(watch, dict):
            return None
        return {
            "counts": {
                k: list(v) for k, v in counts.items() if isinstance(v, list) and len(v) == 2
            },
            "watch": {t: dict(m) for t, m in watch.items() if isinstance(m, dict)},
            "swept_at": float(state.get("swept_at") or 0.0),
            "syncs_since_sweep": int(state.get("syncs_since_sweep") or 0),
        }

    def sweep_due(self, hours: float, every: int) -> bool:
        """Whether this sync must list every id whatever the counts say."""
        too_old = time.time() - self.swept_at > hours * 3600
        return too_old or (every > 0 and self.syncs_since_sweep + 1 >= every)

    def state_fields(self) -> dict[str, Any]:
        return {
            "counts": self.counts,
            "watch": self.watch,
            "swept_at": self.swept_at,
            "syncs_since_sweep": self.syncs_since_sweep,
        }


def watch_totals(watch: WatchMap) -> tuple[int, int]:
    """How many entries have a non-zero first value (watched) and second (in progress)."""
    return sum(1 for first, _ in watch.values() if first), sum(1 for _, s in watch.values() if s)


def reconcile(
    watch: WatchMap,
    current: WatchMap,
    records: Mapping[str, UserDataRecord],
    item_type: ItemType,
    *,
    complete: bool,
) -> list[UserDataRecord]:
    """Replace `watch` by the server's sets in `current`; return what changed.

    An item missing from `current` is reported unwatched only when the listing was
    complete: a listing that shifted while paging may have skipped it.
    """
    changes = [records[k] for k, entry in current.items() if watch.get(k) != entry]
    if complete:
        changes.extend(
            UserDataRecord(remote_id=k, type=item_type) for k in watch if k not in current
        )
        watch.clear()
    watch.update(current)
    return changes
