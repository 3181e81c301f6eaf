"""Fixtures for the jobs tests: a queue with a slow-enough backoff to observe over the
`db` fixture (SQLite and PostgreSQL), a worker configuration that polls and beats
quickly, a small Xtream fake panel and job services whose adapters retry fast."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from reel.catalog.db import Database
from reel.catalog.secrets import SecretBox
from reel.config import Settings
from reel.jobs.handlers import JobServices
from reel.jobs.queue import JobQueue
from reel.jobs.worker import WorkerConfig
from reel.services.sources import SourceService
from reel.sources.base import SourceAdapter, SourceConfig
from reel.sources.http import RetryPolicy
from reel.sources.registry import adapter_class
from reel.sources.xtream.adapter import XtreamAdapter
from reel.testing.fakes.xtream import XtreamFake, XtreamFakeConfig
from tests.xtream_panel import xtream_panel

FAST = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02)


@pytest.fixture
def queue(db: Database) -> JobQueue:
    return JobQueue(db, backoff_base_s=10.0, backoff_max_s=80.0, rng=random.Random(7))


def fast_config(**overrides: object) -> WorkerConfig:
    values: dict[str, object] = {
        "concurrency": 2,
        "poll_s": 0.02,
        "lease_s": 30.0,
        "heartbeat_s": 0.02,
        "grace_s": 0.5,
    }
    values.update(overrides)
    return WorkerConfig(**values)  # type: ignore[arg-type]


@pytest.fixture
def fake() -> Iterator[XtreamFake]:
    with xtream_panel(XtreamFakeConfig(live=20, vod=30, series=4)) as panel:
        yield panel


@pytest.fixture
def services(db: Database, tmp_path: Path) -> JobServices:
    def factory(config: SourceConfig) -> SourceAdapter:
        if config.kind == "xtream":
            return XtreamAdapter(config, retry=FAST, page_size=20)
        return adapter_class(config.kind)(config)

    sources = SourceService(db, SecretBox(Fernet.generate_key()), adapter_factory=factory)
    settings = Settings(data_dir=tmp_path, database_url=db.url)
    return JobServices.build(db, settings, sources=sources)


async def add_panel(services: JobServices, fake: XtreamFake, name: str = "panel") -> int:
    info = await services.engine.sources.add(
        "xtream",
        name,
        {"url": fake.config.public_url, "epg": False},
        {"username": fake.config.username, "password": fake.config.password},
    )
    return info.id
