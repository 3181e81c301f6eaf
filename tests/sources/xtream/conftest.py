"""A small fake panel on a loopback port and adapters pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from reel.sources.base import SourceConfig
from reel.sources.http import RetryPolicy
from reel.sources.xtream.adapter import XtreamAdapter
from reel.testing.fakes.xtream import XtreamFake, XtreamFakeConfig
from reel.testing.server import free_port, serve_in_thread

FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02)
EPG_START = datetime(2030, 1, 1, 18, 0, tzinfo=UTC)


@pytest.fixture
def fake_config() -> XtreamFakeConfig:
    return XtreamFakeConfig(
        live=60, vod=90, series=40, seasons=2, episodes_per_season=3, epg_start=EPG_START
    )


@pytest.fixture
def fake(fake_config: XtreamFakeConfig) -> Iterator[XtreamFake]:
    port = free_port()
    fake_config.public_url = f"http://127.0.0.1:{port}"
    panel = XtreamFake(fake_config)
    with serve_in_thread(panel.app, port=port):
        yield panel


@pytest.fixture
def make_adapter(fake: XtreamFake) -> Callable[..., XtreamAdapter]:
    def make(
        *, password: str | None = None, settings: dict[str, Any] | None = None, **kwargs: Any
    ) -> XtreamAdapter:
        config = SourceConfig(
            name="panel",
            kind="xtream",
            settings={"url": fake.config.public_url, **(settings or {})},
            secrets={
                "username": fake.config.username,
                "password": fake.config.password if password is None else password,
            },
        )
        kwargs.setdefault("retry", FAST_RETRY)
        return XtreamAdapter(config, **kwargs)

    return make
