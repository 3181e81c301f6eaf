"""The other job types through a worker, on both databases: children of a series,
identification of a local source, write-back, and jobs naming a removed source."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from reel.catalog.db import Database
from reel.catalog.models import Item
from reel.jobs.handlers import JobServices
from reel.jobs.queue import JobQueue
from reel.jobs.worker import Worker
from reel.testing.fakes.xtream import XtreamFake
from tests.jobs.conftest import add_panel, fast_config


def ids_of(db: Database, item_type: str) -> list[int]:
    with db.session() as session:
        return list(session.scalars(select(Item.id).where(Item.type == item_type)))


async def run_all(queue: JobQueue, services: JobServices) -> None:
    await Worker(queue, services, config=fast_config()).run(once=True)


async def test_children_job_fetches_the_episodes_of_named_series(
    db: Database, fake: XtreamFake, services: JobServices
) -> None:
    source_id = await add_panel(services, fake)
    assert (await services.engine.sync("panel")).ok
    shows = ids_of(db, "show")
    assert shows and ids_of(db, "episode") == []
    queue = JobQueue(db)
    job_id = queue.enqueue("children", {"source_id": source_id, "item_ids": shows[:2]})
    await run_all(queue, services)
    job = queue.get(job_id)
    assert job is not None and job.status == "done", job.error
    assert job.result == {"source": "panel", "refreshed": 2, "errors": {}}
    with db.session() as session:
        parents = set(
            session.scalars(select(Item.parent_id).where(Item.type == "season").distinct())
        )
    assert parents == set(shows[:2])
    assert ids_of(db, "episode")


async def test_identify_job_runs_the_pipeline_on_a_local_source(
    db: Database, services: JobServices, tmp_path: Path
) -> None:
    library = tmp_path / "films"
    (library / "Heat (1995)").mkdir(parents=True)
    (library / "Heat (1995)" / "Heat (1995).mkv").write_bytes(b"\0" * 64)
    info = await services.engine.sources.add("local", "films", {"paths": [str(library)]}, {})
    assert (await services.engine.sync("films")).ok
    queue = JobQueue(db)
    job_id = queue.enqueue("identify", {"source_id": info.id})
    await run_all(queue, services)
    job = queue.get(job_id)
    assert job is not None and job.status == "done", job.error
    [report] = job.result["reports"] if job.result else []
    # No TMDB key in this test: the pass runs, says why nothing was matched, and ends.
    assert report["source"] == "films" and "TMDB" in (report["error"] or "")


async def test_writeback_job_and_jobs_for_a_removed_source(
    db: Database, fake: XtreamFake, services: JobServices
) -> None:
    source_id = await add_panel(services, fake)
    queue = JobQueue(db)
    flush = queue.enqueue("writeback", {})
    await run_all(queue, services)
    job = queue.get(flush)
    assert job is not None and job.status == "done" and job.result == {"written": {}, "dropped": {}}
    services.engine.sources.remove("panel")
    orphans = [
        queue.enqueue(kind, {"source_id": source_id}) for kind in ("sync", "children", "writeback")
    ]
    await run_all(queue, services)
    for job_id in orphans:
        job = queue.get(job_id)
        assert job is not None and (job.status, job.attempts) == ("failed", 1)
        assert "was removed" in (job.error or "")
