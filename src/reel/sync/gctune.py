"""Relaxed garbage collection while a sync's unit of work runs.

A full sync allocates millions of small objects that live for the whole run (the
`(type, remote_id) → (id, hash)` map, records, row tuples) and almost never form cycles.
With the default thresholds the collector runs thousands of times and its full passes walk
every one of them again, which cost about a quarter of a large sync's CPU. So while any
sync runs, what existed before it is frozen out of the collector's reach and the young
generation is collected far less often; both are undone when the last sync ends.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

from reel.runtime import SharedSetting

THRESHOLDS = (10_000, 50, 1000)


def _relax() -> Callable[[], None]:
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)

    def undo() -> None:
        gc.set_threshold(*before)
        gc.unfreeze()

    return undo


relaxed_gc = SharedSetting(_relax).held
