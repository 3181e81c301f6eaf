"""The event bus: bounded, coalescing, never blocking a publisher (even from a thread)."""

from __future__ import annotations

import asyncio
import threading
import time

from reel.events.bus import EventBus
from reel.events.types import (
    EventsDropped,
    ItemsChanged,
    SourceStatusChanged,
    SyncProgress,
    SyncStarted,
)


def changed(source: str, *ids: int) -> ItemsChanged:
    return ItemsChanged(source=source, created={"movie": list(ids)})


async def test_delivers_in_order_and_filters_by_type() -> None:
    bus = EventBus()
    everything = bus.subscribe()
    only_status = bus.subscribe(SourceStatusChanged)
    bus.publish(SyncStarted(source="a", run_id=1, full=True))
    bus.publish(SourceStatusChanged(source="a", status="ok"))
    assert isinstance(await everything.get(), SyncStarted)
    assert isinstance(await everything.get(), SourceStatusChanged)
    assert await only_status.get() == SourceStatusChanged(source="a", status="ok")
    assert only_status.get_nowait() is None


async def test_bursts_coalesce_per_source() -> None:
    bus = EventBus()
    sub = bus.subscribe()
    for i in range(100):
        bus.publish(changed("a", i))
        bus.publish(SyncProgress(source="a", run_id=1, phase="vod", done=i))
    bus.publish(changed("b", 7))
    events = []
    while (ev := sub.get_nowait()) is not None:
        events.append(ev)
    items = [e for e in events if isinstance(e, ItemsChanged)]
    assert sorted(i for e in items if e.source == "a" for i in e.created["movie"]) == list(
        range(100)
    )
    assert len(events) < 201
    assert events[-1] == changed("b", 7)


async def test_full_queue_compacts_then_drops_oldest_and_says_so() -> None:
    bus = EventBus(queue_size=4)
    sub = bus.subscribe()
    for i in range(10):
        bus.publish(SyncStarted(source=f"s{i}", run_id=i, full=True))
    first = await sub.get()
    assert first == EventsDropped(count=6)
    rest = [sub.get_nowait() for _ in range(4)]
    assert [e.source for e in rest if isinstance(e, SyncStarted)] == ["s6", "s7", "s8", "s9"]
    # interleaved batches compact into one per source instead of being dropped
    for i in range(20):
        bus.publish(changed("x", i))
        bus.publish(SourceStatusChanged(source="x", status="ok")) if i == 0 else None
    got = []
    while (ev := sub.get_nowait()) is not None:
        got.append(ev)
    assert not any(isinstance(e, EventsDropped) for e in got)
    assert sum(len(e.created["movie"]) for e in got if isinstance(e, ItemsChanged)) == 20


async def test_slow_subscriber_never_blocks_a_thread_publisher() -> None:
    bus = EventBus(queue_size=8)
    sub = bus.subscribe()  # never read until the end
    fast = bus.subscribe()
    received: list[int] = []

    async def reader() -> None:
        while len(received) < 5000:
            ev = await fast.get()
            if isinstance(ev, ItemsChanged):
                received.extend(ev.created["movie"])

    task = asyncio.create_task(reader())
    started = time.monotonic()

    def publish() -> None:
        for i in range(5000):
            bus.publish(changed("a", i))

    thread = threading.Thread(target=publish)
    thread.start()
    await asyncio.to_thread(thread.join)
    assert time.monotonic() - started < 5
    await asyncio.wait_for(task, 5)
    assert sorted(received) == list(range(5000))
    assert sub.get_nowait() is not None
    sub.close()
    assert bus.subscriber_count == 1


async def test_empty_batches_are_not_published() -> None:
    bus = EventBus()
    sub = bus.subscribe()
    bus.publish(ItemsChanged(source="a"))
    assert sub.get_nowait() is None
