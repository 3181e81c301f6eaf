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
`inProgress=1`, size 0) must equal ours after applying the recent plays, else the sets are
listed (ratingKeys and counts only) and compared.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from reel.sources.records import ItemType, UserDataRecord

STATE_VERSION = 2
SWEEP_HOURS = 24.0
SWEEP_EVERY = 96

# {ratingKey: [viewCount, viewOffset]} for items with either non-zero.
WatchMap = dict[str, list[int]]


def count_key(section: str, item_type: str) -> str:
    return f"{section}:{item_type}"


@dataclass
class Freshness:
    """The bookkeeping in `ctx.state`, read at the start of a sync and written at its end."""

    counts: dict[str, list[int]] = field(default_factory=dict)  # key -> [total, max addedAt]
    watch: dict[str, WatchMap] = field(default_factory=dict)
    swept_at: float = 0.0
    syncs_since_sweep: int = 0

    @classmethod
    def load(cls, state: dict[str, Any]) -> Freshness | None:
        """The kept bookkeeping, or None when it is missing or from another version."""
        if state.get("version") != STATE_VERSION or "sections" not in state:
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

    def save(self, state: dict[str, Any], sections: list[str]) -> None:
        state.update(
            {
                "version": STATE_VERSION,
                "sections": sections,
                "counts": self.counts,
                "watch": self.watch,
                "swept_at": self.swept_at,
                "syncs_since_sweep": self.syncs_since_sweep,
            }
        )


def watch_entry(view_count: int | None, view_offset: int | None) -> list[int] | None:
    count, offset = max(view_count or 0, 0), max(view_offset or 0, 0)
    return [count, offset] if count or offset else None


def watched_and_started(watch: WatchMap) -> tuple[int, int]:
    """How many entries the server should count as watched and as in progress."""
    watched = sum(1 for count, _ in watch.values() if count)
    started = sum(1 for _, offset in watch.values() if offset)
    return watched, started


def unwatched(remote_id: str, item_type: ItemType) -> UserDataRecord:
    """The state of an item that left the watched and in-progress sets."""
    return UserDataRecord(remote_id=remote_id, type=item_type)
