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
after applying recent plays, the server's counts of each (`IsPlayed`,
`Filters=IsResumable`) must equal ours, else the set that disagrees is listed (ids only)
and compared (watch.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reel.sources.freshness import (
    SWEEP_EVERY,
    SWEEP_HOURS,
    CountBook,
    WatchMap,
    count_key,
)
from reel.sources.jellyfin.parse import UserItemData

STATE_VERSION = 1

__all__ = ["SWEEP_EVERY", "SWEEP_HOURS", "Freshness", "WatchMap", "count_key"]


def timestamp(value: datetime | None) -> float:
    """Seconds since the epoch; .NET's DateTime.MinValue (unknown) counts as 0."""
    if value is None or value.year <= 1:
        return 0.0
    return value.timestamp()


@dataclass
class Freshness(CountBook):
    """Counts are [total, newest DateCreated] per (library, type); watch entries are
    [played 0/1, position ticks] (ticks: the server counts any position above zero as
    resumable)."""

    @classmethod
    def load(cls, state: dict[str, Any], user_id: str) -> Freshness | None:
        """The kept bookkeeping, or None when missing, from another version or account."""
        if state.get("fresh_version") != STATE_VERSION or state.get("user_id") != user_id:
            return None
        fields = cls.from_state(state)
        return cls(**fields) if fields is not None else None

    def save(self, state: dict[str, Any], user_id: str, libraries: list[str]) -> None:
        state.update(
            {
                "fresh_version": STATE_VERSION,
                "user_id": user_id,
                "libraries": libraries,
                **self.state_fields(),
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
