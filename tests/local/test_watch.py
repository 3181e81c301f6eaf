"""Watching: a change on disk triggers a rescan of its source; a vanished root too."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from reel.catalog.db import Database
from reel.config import Settings
from reel.services.local_watch import owner, watch_local_sources
from reel.services.sources import SourceService
from tests.local.conftest import add_local, touch


def test_owner_picks_the_root_holding_a_path() -> None:
    roots = {"a": ["/m/films"], "b": ["/m/films2", "/x"]}
    assert owner(roots, "/m/films/A.mkv") == "a"
    assert owner(roots, "/m/films2/B.mkv") == "b"
    assert owner(roots, "/elsewhere/C.mkv") is None


async def test_changes_trigger_a_debounced_rescan(
    db: Database, service: SourceService, tmp_path: Path, settings: Settings
) -> None:
    root = tmp_path / "nas"
    touch(root, "Alien (1979).mkv")
    await add_local(service, root)
    calls: list[str] = []
    changed = asyncio.Event()

    async def rescan(name: str) -> None:
        calls.append(name)
        changed.set()

    stop = asyncio.Event()
    task = asyncio.create_task(watch_local_sources(
        db, settings, stop, rescan=rescan, debounce_ms=200, check_every_s=0.5))  # fmt: skip
    await asyncio.sleep(0.5)
    for n in range(5):  # a burst of files is one rescan
        touch(root, f"Film {n} (2001).mkv")
    await asyncio.wait_for(changed.wait(), 5)
    await asyncio.sleep(0.5)
    assert calls == ["nas"]
    changed.clear()
    shutil.rmtree(root)  # the NAS drops off: a rescan marks it offline
    await asyncio.wait_for(changed.wait(), 5)
    assert calls[-1] == "nas"
    stop.set()
    await asyncio.wait_for(task, 5)
