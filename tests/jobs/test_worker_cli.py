"""`reel worker` as a real process: `--once --json` runs what is due and reports it;
signals stop it cleanly, a second one at once, handing the running sync back."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reel.catalog.db import Database
from reel.config import Settings
from reel.jobs.queue import JobQueue
from reel.jobs.scheduler import enqueue_sync
from reel.services.sources import SourceService
from reel.testing.fakes.xtream import XtreamFake, XtreamFakeConfig
from tests.xtream_panel import xtream_panel


@pytest.fixture
def fake() -> Iterator[XtreamFake]:
    with xtream_panel(XtreamFakeConfig(live=10, vod=10, series=2)) as panel:
        yield panel


def reel(data_dir: Path, url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "reel.cli", "--data-dir", str(data_dir),
            "--database-url", url, *args]  # fmt: skip


ENV = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}


async def add_panel(db: Database, data_dir: Path, fake: XtreamFake) -> int:
    settings = Settings(data_dir=data_dir, database_url=db.url)
    info = await SourceService.open(db, settings).add(
        "xtream",
        "panel",
        {"url": fake.config.public_url, "epg": False},
        {"username": fake.config.username, "password": fake.config.password},
    )
    return info.id


async def test_once_runs_what_is_due_and_prints_json(
    db: Database, fake: XtreamFake, tmp_path: Path
) -> None:
    source_id = await add_panel(db, tmp_path, fake)
    job_id = enqueue_sync(JobQueue(db), source_id, "panel")
    proc = subprocess.run(reel(tmp_path, db.url, "worker", "--once", "--json"),
                          capture_output=True, text=True, timeout=60, env=ENV)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    stats = json.loads(proc.stdout)
    assert (stats["claimed"], stats["done"], stats["by_type"]) == (1, 1, {"sync": 1})
    job = JobQueue(db).get(job_id)
    assert job is not None and job.status == "done"


async def test_signals_stop_the_worker_and_hand_the_sync_back(
    db: Database, fake: XtreamFake, tmp_path: Path
) -> None:
    source_id = await add_panel(db, tmp_path, fake)
    queue = JobQueue(db)
    fake.faults.set("slow", delay=2.0, actions={"get_series"})
    job_id = enqueue_sync(queue, source_id, "panel")
    proc = subprocess.Popen(reel(tmp_path, db.url, "worker"), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=ENV)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not fake.faults.hits:  # the series listing is being held back
            assert time.monotonic() < deadline and proc.poll() is None, "sync never started"
            time.sleep(0.05)
        job = queue.get(job_id)
        assert (
            job is not None and job.status == "running" and str(proc.pid) in (job.locked_by or "")
        )
        os.kill(proc.pid, signal.SIGTERM)  # grace: the sync needs about 2 s more
        time.sleep(0.3)
        assert proc.poll() is None
        started = time.monotonic()
        os.kill(proc.pid, signal.SIGINT)  # again: now
        _out, err = proc.communicate(timeout=20)
        assert time.monotonic() - started < 10
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "handed back" in err and "Traceback" not in err
    job = queue.get(job_id)
    assert job is not None and (job.status, job.attempts) == ("queued", 0)
    info = SourceService.open(db, Settings(data_dir=tmp_path, database_url=db.url)).get("panel")
    assert sum(info.counts.values()) == 0  # the interrupted sync rolled back
