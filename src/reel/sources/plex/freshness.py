"""What an incremental Plex sync remembers so it can skip listing every id.

Deletions: Plex keeps no tombstones, so the only proof that nothing was deleted is a count.
For each (section, item type) we keep the total the server reported and the newest
`addedAt` it held (a watermark in the server's own clock). On the next sync the changed
listing names every item added since (their `updatedAt` is recent); counting those whose
`addedAt` passes the watermark gives `added`, and `now == before + added` proves nothing
was removed. Anything else — a miscount, a skewed clock, an item re-added with an old date —
makes the counts disagree and we list ids and sweep, which is always safe.

The one blind spot: an item deleted while another arrives that the watermark cannot see
(added with an `addedAt` older than the watermark) keeps the count equal. A full id sweep
runs anyway once `sweep_hours` passed or after `sweep_every` syncs, so such a stale item
lives at most that long.

Watch state: marking an item unwatched removes its `lastViewedAt`, so no date filter finds
it. We keep the watched and in-progress sets; the server's counts of each (`unwatched=0`,
`inProgress=1`, size 0) must equal ours after applying the recent plays, else the set
that disagrees is listed (ratingKeys and counts only) and compared (watch.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reel.sources.freshness import (
    SWEEP_EVERY,
    SWEEP_HOURS,
    CountBook,
    WatchMap,
    count_key,
)

STATE_VERSION = 2

__all__ = ["SWEEP_EVERY", "SWEEP_HOURS", "Freshness", "WatchMap", "count_key"]


@dataclass
class Freshness(CountBook):
    """Counts are [total, newest addedAt] per (section, type); watch entries are
    [viewCount, viewOffset] for items with either non-zero."""

    @classmethod
    def load(cls, state: dict[str, Any]) -> Freshness | None:
        """The kept bookkeeping, or None when it is missing or from another version."""
        if state.get("version") != STATE_VERSION or "sections" not in state:
            return None
        fields = cls.from_state(state)
        return cls(**fields) if fields is not None else None

    def save(self, state: dict[str, Any], sections: list[str]) -> None:
        state.update({"version": STATE_VERSION, "sections": sections, **self.state_fields()})


def watch_entry(view_count: int | None, view_offset: int | None) -> list[int] | None:
    count, offset = max(view_count or 0, 0), max(view_offset or 0, 0)
    return [count, offset] if count or offset else None
