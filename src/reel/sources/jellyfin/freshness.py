"""What an incremental Jellyfin sync remembers so it can skip listing every id.

Deletions: Jellyfin keeps no tombstones, so the only proof that nothing was removed is a
count. For each (library, item type) we keep the total the server reported. The changed
listing (`MinDateLastSaved`) names every item saved since, which includes every new one;
the catalog's `known_hashes` says exactly which of those are new to us (or, without it, a
`DateCreated` watermark does). `now == before + new` proves nothing was removed; anything
else — a deletion, an item moved between libraries, one added with an old save date —
makes the counts disagree and the ids are listed and swept, which is always safe.

The blind spot: a deletion and an arrival the changed listing cannot see, in the same
interval, keep the count equal. A full id sweep (with watch state) runs once `sweep_hours`
passed or after `sweep_every` syncs, so such a stale item lives at most that long.

Watch state: watch-state changes do not bump `DateLastSaved`, and marking an item unplayed
clears its `LastPlayedDate`, so no date finds it. We keep the played and resumable sets;
after applying recent plays (`SortBy=DatePlayed`), the server's counts of each (`IsPlayed`,
`Filters=IsResumable`) must equal ours, else the sets are listed and compared.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from reel.sources.jellyfin.parse import UserItemData

STATE_VERSION = 1
SWEEP_HOURS = 24.0
SWEEP_EVERY = 96

# {item id: [played 0/1, position ticks]} for items played or started (ticks, not ms:
# the server counts any position above zero as resumable).
WatchMap = dict[str, list[int]]


def count_key(library_id: str, item_type: str) -> str:
    return f"{library_id}:{item_type}"


def timestamp(value: datetime | None) -> float:
    """Seconds since the epoch; .NET's DateTime.MinValue (unknown) counts as 0."""
    if value is None or value.year <= 1:
        return 0.0
    return value.timestamp()


@dataclass
class Freshness:
    """The bookkeeping in `ctx.state`, read at the start of a sync and written at its end."""

    counts: dict[str, list[float]] = field(default_factory=dict)  # key -> [total, newest]
    watch: dict[str, WatchMap] = field(default_factory=dict)
    swept_at: float = 0.0
    syncs_since_sweep: int = 0

    @classmethod
    def load(cls, state: dict[str, Any], user_id: str) -> Freshness | None:
        """The kept bookkeeping, or None when missing, from another version or account."""
        if state.get("fresh_version") != STATE_VERSION or state.get("user_id") != user_id:
            return None
        counts, watch = state.get("counts"), state.get("watch")
        if not isinstance(counts, dict) or not isinstance(watch, dict):
            return None
        return cls(
            counts={k: list(v) for k, v in counts.items() if isinstance(v, list) and len(v) == 2},
            watch={t: dict(m) for t, m in watch.items() if isinstance(m, dict)},
            swept_at=float(state.get("swept_at") or 0.0),
            syncs_since_sweep=int(state.get("syncs_since_sweep") or 0),
        )

    def sweep_due(self, hours: float, every: int) -> bool:
        """Whether this sync must list every id whatever the counts say."""
        too_old = time.time() - self.swept_at > hours * 3600
        return too_old or (every > 0 and self.syncs_since_sweep + 1 >= every)

    def save(self, state: dict[str, Any], user_id: str, libraries: list[str]) -> None:
        state.update(
            {
                "fresh_version": STATE_VERSION,
                "user_id": user_id,
                "libraries": libraries,
                "counts": self.counts,
                "watch": self.watch,
                "swept_at": self.swept_at,
                "syncs_since_sweep": self.syncs_since_sweep,
            }
        )


def watch_entry(data: UserItemData | None) -> list[int] | None:
    """The map entry for an item's user data; None when it is neither played nor started."""
    if data is None:
        return None
    position = max(0, data.playback_position_ticks)
    return [int(data.played), position] if data.played or position else None


def keep(watch: WatchMap, item_id: str, entry: list[int] | None) -> None:
    if entry is None:
        watch.pop(item_id, None)
    else:
        watch[item_id] = entry


def played_and_resumable(watch: WatchMap) -> tuple[int, int]:
    """How many entries the server should count as played and as resumable."""
    return sum(1 for p, _ in watch.values() if p), sum(1 for _, pos in watch.values() if pos)
