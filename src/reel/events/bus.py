"""An in-process async event bus with one bounded queue per subscriber.

Publishing never blocks and never fails: the sync writer (running in a worker thread)
hands an event to every subscriber's queue and moves on. When a listener falls behind,
its queue compacts itself — progress events keep only the latest, item-change batches of
one source merge into one — and only if that is not enough are the oldest events dropped,
which the listener learns through one `EventsDropped` so it can refetch state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import deque
from collections.abc import AsyncIterator
from types import TracebackType

from reel.events.types import Event, EventsDropped, ItemsChanged, SyncProgress

log = logging.getLogger(__name__)

DEFAULT_QUEUE_SIZE = 256


class Subscription:
    """One listener's queue; iterate it (async) or `await get()`."""

    def __init__(self, bus: EventBus, types: tuple[type[Event], ...], maxsize: int) -> None:
        self._bus = bus
        self._types = types
        self._maxsize = max(2, maxsize)
        self._pending: deque[Event] = deque()
        self._lock = threading.Lock()
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._dropped = 0
        self.closed = False

    def wants(self, event: Event) -> bool:
        return not self._types or isinstance(event, self._types)

    def offer(self, event: Event) -> None:
        """Queue `event` (any thread); coalesce or drop instead of ever blocking."""
        with self._lock:
            if self.closed:
                return
            self._coalesce_into(event)
        self._notify()

    def _coalesce_into(self, event: Event) -> None:
        pending = self._pending
        if isinstance(event, SyncProgress):
            # only the latest position of a run matters; drop the older one
            for index in range(len(pending) - 1, -1, -1):
                old = pending[index]
                if isinstance(old, SyncProgress) and (old.source, old.run_id) == (
                    event.source,
                    event.run_id,
                ):
                    del pending[index]
                    break
        elif isinstance(event, ItemsChanged):
            # merge into the latest batch of that source unless another kind of event
            # (a completion, a status change) sits between them: order matters there
            for index in range(len(pending) - 1, -1, -1):
                old = pending[index]
                if isinstance(old, SyncProgress):
                    continue
                if isinstance(old, ItemsChanged) and old.source == event.source:
                    pending[index] = old.merge(event)
                    return
                break
        if len(pending) >= self._maxsize:
            self._compact()
            pending = self._pending
        while len(pending) >= self._maxsize:
            pending.popleft()
            self._dropped += 1
        pending.append(event)

    def _compact(self) -> None:
        """Squeeze a full queue: latest progress per run, one item batch per source."""
        latest_progress: dict[tuple[str, int], int] = {}
        last_items: dict[str, int] = {}
        events = list(self._pending)
        for index, ev in enumerate(events):
            if isinstance(ev, SyncProgress):
                latest_progress[(ev.source, ev.run_id)] = index
            elif isinstance(ev, ItemsChanged):
                last_items[ev.source] = index
        merged: dict[str, ItemsChanged] = {}
        for ev in events:
            if isinstance(ev, ItemsChanged):
                prev = merged.get(ev.source)
                merged[ev.source] = ev if prev is None else prev.merge(ev)
        kept: deque[Event] = deque()
        for index, ev in enumerate(events):
            if isinstance(ev, SyncProgress):
                if latest_progress[(ev.source, ev.run_id)] == index:
                    kept.append(ev)
            elif isinstance(ev, ItemsChanged):
                if last_items[ev.source] == index:
                    kept.append(merged[ev.source])
            else:
                kept.append(ev)
        self._pending = kept

    def _notify(self) -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            self._wake.set()
            return
        with contextlib.suppress(RuntimeError):  # the listener's loop is gone
            self._loop.call_soon_threadsafe(self._wake.set)

    def get_nowait(self) -> Event | None:
        """The next event, or None when the queue is empty."""
        with self._lock:
            if self._dropped:
                count, self._dropped = self._dropped, 0
                return EventsDropped(count=count)
            if self._pending:
                return self._pending.popleft()
        return None

    async def get(self) -> Event:
        """Wait for the next event."""
        while True:
            event = self.get_nowait()
            if event is not None:
                return event
            self._wake.clear()
            event = self.get_nowait()
            if event is not None:
                return event
            await self._wake.wait()

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        while not self.closed:
            yield await self.get()

    def close(self) -> None:
        """Stop receiving; pending events are discarded."""
        with self._lock:
            self.closed = True
            self._pending.clear()
        self._bus.unsubscribe(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class EventBus:
    """Fan-out of events to subscribers; `publish` is safe from any thread."""

    def __init__(self, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        self.queue_size = queue_size
        self._subscribers: list[Subscription] = []
        self._lock = threading.Lock()

    def subscribe(self, *types: type[Event], maxsize: int | None = None) -> Subscription:
        """A queue receiving events of `types` (all when none given); call in a running loop."""
        sub = Subscription(self, types, maxsize or self.queue_size)
        with self._lock:
            self._subscribers.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subscribers:
                self._subscribers.remove(sub)

    def publish(self, event: Event) -> None:
        """Hand `event` to every interested subscriber without waiting for any of them."""
        if isinstance(event, ItemsChanged) and event.empty:
            return
        with self._lock:
            subscribers = list(self._subscribers)
        for sub in subscribers:
            if sub.wants(event):
                try:
                    sub.offer(event)
                except Exception:  # one broken listener must not stop a sync
                    log.exception("event subscriber failed on %s", event.name)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)
