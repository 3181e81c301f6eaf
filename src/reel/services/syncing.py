"""What follows a successful sync, the same whether the CLI, the server or the folder
watcher started it: background children refresh (Xtream series), identification and
locks (metadata), and watch state queued while the source was away.

Each step is best effort: the catalog is already committed, so a failure here is logged
and retried on the next sync rather than turning a good sync into a failed one.
"""

from __future__ import annotations

import logging
from typing import Any

from reel.config import Settings
from reel.metadata.hooks import after_sync
from reel.sync.children import ChildrenSync
from reel.sync.engine import SyncEngine
from reel.sync.outcome import SyncResult

log = logging.getLogger(__name__)


class PostSync:
    """Runs the follow-up steps of a sync for one engine."""

    def __init__(self, engine: SyncEngine, settings: Settings, writeback: Any = None) -> None:
        self.engine = engine
        self.settings = settings
        self.writeback = writeback
        self.children = ChildrenSync(engine)

    async def run(self, result: SyncResult) -> None:
        """Follow-up work for a finished sync; does nothing for a failed one."""
        if not result.ok:
            return
        name = result.name
        try:
            if self.engine.sources.adapter_class(name).capabilities.children_on_demand:
                count = await self.children.refresh_changed(name, result.changed_parents)
                log.info("refreshed the children of %d items of %s", count, name)
        except Exception as exc:  # stale children wait for the next sync
            log.warning("background refresh of %s children failed: %s", name, exc)
        try:
            await after_sync(self.engine.db, self.settings, name)
        except Exception as exc:
            log.warning("post-sync metadata work for %s failed: %s", name, exc)
        if self.writeback is not None:
            try:
                written = await self.writeback.flush(name)
                if written.written.get(name):
                    log.info(
                        "wrote back %s watch-state change(s) to %s", written.written[name], name
                    )
            except Exception as exc:
                log.warning("write-back to %s failed: %s", name, exc)
