"""Events cross processes through PostgreSQL LISTEN/NOTIFY (events/pg_bridge.py)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reel.catalog.db import Database
from reel.events.pg_bridge import BridgedBus, channel_for, decode, encode, split
from reel.events.types import (
    Event,
    EventsDropped,
    ItemsChanged,
    SourceStatusChanged,
    SyncCompleted,
    SyncFailed,
    WatchStateChanged,
)

ROOT = Path(__file__).resolve().parents[2]
ids = st.lists(st.integers(min_value=1, max_value=2**53), max_size=3000)


def _ids_of(events: list[Event], kind: str) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for event in events:
        assert isinstance(event, ItemsChanged)
        for item_type, found in getattr(event, kind).items():
            if found:
                out.setdefault(item_type, []).extend(found)
    return out


@given(created=ids, updated=ids, deleted=ids, limit=st.integers(min_value=300, max_value=8000))
def test_split_fits_and_says_the_same(
    created: list[int], updated: list[int], deleted: list[int], limit: int
) -> None:
    event = ItemsChanged(
        source="só", created={"movie": created}, updated={"show": updated}, deleted={"x": deleted}
    )
    payloads = list(split(event, "me", limit))
    assert all(len(p) <= limit for p in payloads)
    parts = [decode(p) for p in payloads]
    assert all(origin == "me" for origin, _ in parts)
    events = [e for _, e in parts if e is not None]
    assert len(events) == len(payloads)
    for kind in ("created", "updated", "deleted"):
        want = {k: v for k, v in getattr(event, kind).items() if v}
        assert _ids_of(events, kind) == want


def test_round_trip_of_every_kind() -> None:
    for event in (
        SyncCompleted(source="a", run_id=3, added={"movie": 2}, duration_s=1.5),
        SyncFailed(source="a", run_id=3, status="failed", error="bad credentials for source a"),
        SourceStatusChanged(source="a", status="offline", previous="ok"),
        WatchStateChanged(user_id=1, item_ids=[1, 2]),
        EventsDropped(count=4),
    ):
        assert decode(encode(event, "o")) == ("o", event)
    assert decode(b"not json") == (None, None)
    assert decode(b'{"event": "from.the.future", "_o": "x"}') == ("x", None)
    assert decode(b"[1, 2]") == (None, None)


def test_unsplittable_event_becomes_a_refetch_signal() -> None:
    event = SyncFailed(source="a", run_id=1, status="failed", error="x" * 9000)
    assert [decode(p) for p in split(event, "o")] == [("o", EventsDropped(count=1))]


def test_channel_per_schema() -> None:
    assert channel_for(None) == channel_for("public") == "reel_events"
    assert channel_for("tenant") == "reel_events_tenant"
    assert len(channel_for("s" * 100)) == 63


# ---- against the real server ---------------------------------------------------------


@pytest.fixture
def pg_url(pg_schema_url: str) -> str:
    return pg_schema_url


@pytest.fixture
def two_dbs(pg_url: str) -> Iterator[tuple[Database, Database]]:
    first, second = Database(pg_url), Database(pg_url, migrate=False)
    try:
        yield first, second
    finally:
        first.dispose()
        second.dispose()


async def _collect(sub: object, count: int, timeout: float = 10.0) -> list[Event]:
    got: list[Event] = []

    async def take() -> None:
        while len(got) < count:
            got.append(await sub.get())  # type: ignore[attr-defined]

    await asyncio.wait_for(take(), timeout)
    return got


@pytest.mark.postgres
async def test_events_reach_the_other_connection(two_dbs: tuple[Database, Database]) -> None:
    one, two = BridgedBus(two_dbs[0].engine), BridgedBus(two_dbs[1].engine)
    with one, two:
        assert one.channel == two.channel
        assert str(one.channel).startswith("reel_events_")
        here, there = one.subscribe(), two.subscribe()
        big = list(range(1, 5001))  # ~25 kB of ids: several NOTIFYs
        one.publish(ItemsChanged(source="panel", created={"movie": big}))
        one.publish(SyncCompleted(source="panel", run_id=7, added={"movie": 5000}))
        received: list[Event] = []
        while not any(isinstance(e, SyncCompleted) for e in received):
            received.extend(await _collect(there, 1))
        assert _ids_of([e for e in received if isinstance(e, ItemsChanged)], "created") == {
            "movie": big
        }
        assert received[-1] == SyncCompleted(source="panel", run_id=7, added={"movie": 5000})
        # the publisher's own subscribers got the original once, not its echo
        assert await _collect(here, 2) == [
            ItemsChanged(source="panel", created={"movie": big}),
            SyncCompleted(source="panel", run_id=7, added={"movie": 5000}),
        ]
        await asyncio.sleep(0.5)
        assert here.get_nowait() is None
        assert one.received == 0 and two.sent == 0


@pytest.mark.postgres
async def test_events_reach_another_process(pg_url: str) -> None:
    db = Database(pg_url)
    script = textwrap.dedent(
        f"""
        from reel.catalog.db import Database
        from reel.events.pg_bridge import BridgedBus
        from reel.events.types import SourceStatusChanged
        db = Database({pg_url!r}, migrate=False)
        with BridgedBus(db.engine) as bus:
            bus.publish(SourceStatusChanged(source="nas", status="offline", previous="ok"))
        db.dispose()
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    try:
        with BridgedBus(db.engine) as bus:
            sub = bus.subscribe(SourceStatusChanged)
            done = await asyncio.to_thread(
                subprocess.run,
                [sys.executable, "-c", script],
                env=env,
                capture_output=True,
                timeout=60,
                check=False,
            )
            assert done.returncode == 0, done.stderr
            (event,) = await _collect(sub, 1)
            assert event == SourceStatusChanged(source="nas", status="offline", previous="ok")
    finally:
        db.dispose()


def test_refuses_sqlite(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with pytest.raises(ValueError, match="PostgreSQL"):
            BridgedBus(db.engine)
    finally:
        db.dispose()
