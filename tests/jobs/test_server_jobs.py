"""`reel serve` alone auto-syncs: its lifespan runs the scheduler and a worker, and the
scheduled sync goes through the server's SyncManager (so the UI sees it)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import update

from reel.catalog.db import Database
from reel.catalog.models import Source
from reel.catalog.types import utcnow
from reel.config import Settings
from reel.jobs.queue import JobQueue
from reel.services.sources import SourceService
from reel.testing.fakes.xtream import XtreamFake, XtreamFakeConfig
from reel.web.app import create_app
from tests.xtream_panel import xtream_panel


@pytest.fixture
def fake() -> Iterator[XtreamFake]:
    with xtream_panel(XtreamFakeConfig(live=10, vod=10, series=2)) as panel:
        yield panel


async def test_the_server_syncs_a_due_source_on_its_own(
    db: Database, fake: XtreamFake, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, database_url=db.url)
    await SourceService.open(db, settings).add(
        "xtream",
        "panel",
        {"url": fake.config.public_url, "epg": False},
        {"username": fake.config.username, "password": fake.config.password},
    )
    with db.engine.begin() as conn:  # added an hour ago and never synced: due
        conn.execute(update(Source).values(created_at=utcnow() - timedelta(hours=1)))
    app = create_app(settings, db, hasher=PasswordHasher(time_cost=1, memory_cost=1024))
    svc = app.state.reel
    queue = JobQueue(db)
    async with app.router.lifespan_context(app):
        for _ in range(500):
            jobs = queue.list_jobs(type="sync")
            if jobs and jobs[0].status in ("done", "failed"):
                break
            await asyncio.sleep(0.02)
    [job] = queue.list_jobs(type="sync")
    assert job.status == "done", job.error
    assert [r.name for r in svc.syncs.results] == ["panel"]  # through the SyncManager
    assert svc.sources.get("panel").counts["movie"] == 10
